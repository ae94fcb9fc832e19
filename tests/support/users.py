"""A user row of a test's own, with an address no other test can take."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.repositories.users import UserRecord, UserRepository


async def new_user(sessionmaker: async_sessionmaker[AsyncSession], name: str = "user") -> UserRecord:
    """Create ``name``'s user under a unique e-mail address."""
    return await UserRepository(sessionmaker).create(f"{name}-{uuid4().hex}@example.com", name)
