"""Local accounts: a user row and its password hash, created together; as ``service_role``.

Sign-up and login act before anyone is signed in, so they cannot run under a user's claims;
the credentials table is service-only anyway. What a signed-in user reads of themselves
(``profile``) runs under their own claims, so RLS decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.accounts import UserCredential
from shared.db.models.users import User, UserRole
from shared.db.repositories.users import UserRecord, normalize_email
from shared.db.tenancy import service_session, subject_of, user_session


class AccountExistsError(Exception):
    """The e-mail address belongs to an account already."""


class AccountRepository:
    """Creates local accounts and reads and replaces their password hashes."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def create(
        self, email: str, display_name: str, password_hash: str, *, role: UserRole = "user"
    ) -> UserRecord:
        """Insert the user and their password hash in one transaction; ``AccountExistsError`` on a clash."""
        user = User(email=normalize_email(email), display_name=display_name, role=role)
        try:
            async with service_session(self._sessionmaker) as session:
                session.add(user)
                await session.flush()
                session.add(UserCredential(user_id=user.id, password_hash=password_hash))
                await session.flush()
                await session.refresh(user)
                return UserRecord.of(user)
        except IntegrityError as e:
            if getattr(e.orig, "sqlstate", None) == "23505":
                raise AccountExistsError(f"an account with the address {user.email!r} exists") from None
            raise

    async def for_login(self, email: str) -> tuple[UserRecord, str] | None:
        """Return the account and its password hash, or ``None`` when the address has no password."""
        query = (
            select(User, UserCredential.password_hash)
            .join(UserCredential, UserCredential.user_id == User.id)
            .where(User.email == normalize_email(email))
        )
        async with service_session(self._sessionmaker) as session:
            row = (await session.execute(query)).one_or_none()
        return None if row is None else (UserRecord.of(row[0]), row[1])

    async def replace_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        """Store a new hash of the same password (made under the current parameters)."""
        async with service_session(self._sessionmaker) as session:
            await session.execute(
                update(UserCredential)
                .where(UserCredential.user_id == user_id)
                .values(password_hash=password_hash)
            )

    async def get(self, user_id: uuid.UUID) -> UserRecord | None:
        async with service_session(self._sessionmaker) as session:
            user = await session.get(User, user_id)
            return None if user is None else UserRecord.of(user)

    async def set_role(self, user_id: uuid.UUID, role: UserRole) -> None:
        """Make the user's role ``role`` (an operator's decision, applied by the gateway)."""
        async with service_session(self._sessionmaker) as session:
            await session.execute(update(User).where(User.id == user_id).values(role=role))

    async def profile(self, claims: Mapping[str, Any]) -> UserRecord | None:
        """Return the signed-in user's own row, read under their claims (RLS)."""
        query = select(User).where(User.id == subject_of(claims))
        async with user_session(self._sessionmaker, claims) as session:
            user = await session.scalar(query)
            return None if user is None else UserRecord.of(user)


__all__ = ["AccountExistsError", "AccountRepository"]
