"""Users, created and looked up by services (sign-up, admin), hence as ``service_role``.

Returns plain frozen records rather than ORM objects, so callers cannot lazy-load or mutate
outside a transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.users import User, UserRole
from shared.db.tenancy import service_session


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: uuid.UUID
    email: str
    display_name: str
    role: UserRole
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRecord:
        role: UserRole = "admin" if user.role == "admin" else "user"
        return cls(user.id, user.email, user.display_name, role, user.created_at)


def normalize_email(email: str) -> str:
    """Return the stored form of an address: trimmed and lowercased (the column insists on it)."""
    normalized = email.strip().lower()
    if "@" not in normalized:
        raise ValueError(f"expected an e-mail address, was {email!r}")
    return normalized


class UserRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def create(
        self,
        email: str,
        display_name: str,
        *,
        role: UserRole = "user",
        user_id: uuid.UUID | None = None,
    ) -> UserRecord:
        """Insert a user; ``user_id`` is the JWT ``sub`` when the identity provider made one.

        Raises ``sqlalchemy.exc.IntegrityError`` when the e-mail address or id is taken.
        """
        user = User(email=normalize_email(email), display_name=display_name, role=role)
        if user_id is not None:
            user.id = user_id
        async with service_session(self._sessionmaker) as session:
            session.add(user)
            await session.flush()
            await session.refresh(user)
            return UserRecord.of(user)

    async def get(self, user_id: uuid.UUID) -> UserRecord | None:
        async with service_session(self._sessionmaker) as session:
            user = await session.get(User, user_id)
            return None if user is None else UserRecord.of(user)

    async def get_by_email(self, email: str) -> UserRecord | None:
        query = select(User).where(User.email == normalize_email(email))
        async with service_session(self._sessionmaker) as session:
            user = await session.scalar(query)
            return None if user is None else UserRecord.of(user)


__all__ = ["UserRecord", "UserRepository", "normalize_email"]
