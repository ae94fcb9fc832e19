"""Failed logins, counted per e-mail address and per client IP; as ``service_role``.

Kept in PostgreSQL rather than in the process, so every gateway instance counts the same
failures and a restart forgets nothing. Times are the database's, so instances with skewed
clocks still agree. Rows older than the window are deleted as new failures of the same address
or IP arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from shared.auth.login_limits import LoginLimits, wait_before_next
from shared.db.models.accounts import LoginFailure
from shared.db.tenancy import service_session


class LoginFailureRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], limits: LoginLimits) -> None:
        self._sessionmaker = sessionmaker
        self._limits = limits

    @property
    def limits(self) -> LoginLimits:
        return self._limits

    async def wait(self, email: str, client_ip: str) -> timedelta:
        """Return how long this address and IP must wait before a login is tried (zero: go ahead)."""
        limits = self._limits
        async with service_session(self._sessionmaker) as session:
            now = (await session.execute(select(func.now()))).scalar_one()
            by_email = await self._recent(session, LoginFailure.email == email, now, limits.per_email)
            by_ip = await self._recent(session, LoginFailure.client_ip == client_ip, now, limits.per_ip)
        return max(
            wait_before_next(by_email, limits.per_email, limits.window, now),
            wait_before_next(by_ip, limits.per_ip, limits.window, now),
        )

    async def record(self, email: str, client_ip: str) -> None:
        """Count one failure, and drop this address's and IP's failures the window has left."""
        async with service_session(self._sessionmaker) as session:
            await session.execute(
                delete(LoginFailure).where(
                    or_(LoginFailure.email == email, LoginFailure.client_ip == client_ip),
                    LoginFailure.failed_at <= func.now() - self._limits.window,
                )
            )
            session.add(LoginFailure(email=email, client_ip=client_ip))

    async def clear(self, email: str) -> None:
        """Forget the address's failures after a successful login (the IP's stay counted)."""
        async with service_session(self._sessionmaker) as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.email == email))

    async def _recent(
        self, session: AsyncSession, which: ColumnElement[bool], now: datetime, limit: int
    ) -> list[datetime]:
        query = (
            select(LoginFailure.failed_at)
            .where(which, LoginFailure.failed_at > now - self._limits.window)
            .order_by(LoginFailure.failed_at.desc())
            .limit(limit)
        )
        return list((await session.scalars(query)).all())


__all__ = ["LoginFailureRepository"]
