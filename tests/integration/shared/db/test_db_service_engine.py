"""The service engine: SQLAlchemy connections that are ``service_role`` from their first packet,
so ``service_session`` on them runs no role statement, and a user's session on them still ends
with its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.models import User
from shared.db.repositories.users import UserRepository
from shared.db.service_pool import create_service_engine, create_service_sessionmaker
from shared.db.tenancy import claims_for, service_session, user_session

pytestmark = pytest.mark.postgres

IDENTITY = text(
    "SELECT pg_backend_pid() AS pid, current_user AS role, auth.role() AS jwt_role, auth.uid() AS uid"
)


@pytest.fixture
async def service_engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """One connection, so every transaction below reuses the same backend."""
    engine = create_service_engine(migrated_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


def _count_statements(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    return statements


async def test_a_service_session_is_service_role_without_a_statement_to_assume_it(
    service_engine: AsyncEngine,
) -> None:
    sessionmaker = create_service_sessionmaker(service_engine)
    await UserRepository(sessionmaker).create(f"svc-{uuid4().hex}@example.com", "svc")
    statements = _count_statements(service_engine)

    async with service_session(sessionmaker) as session:
        identity = (await session.execute(IDENTITY)).one()
        users = await session.scalar(select(func.count()).select_from(User))

    assert (identity.role, identity.jwt_role, identity.uid) == ("service_role", "service_role", None)
    assert users is not None and users >= 1, "service_role bypasses RLS: it sees every user"
    assert len(statements) == 2, f"only the caller's two statements, was {statements}"
    assert not any("set_config" in statement for statement in statements)


async def test_a_user_session_on_the_service_engine_ends_with_its_transaction(
    service_engine: AsyncEngine,
) -> None:
    sessionmaker = create_service_sessionmaker(service_engine)
    user = await UserRepository(sessionmaker).create(f"svc-{uuid4().hex}@example.com", "svc")

    async with user_session(sessionmaker, claims_for(user.id)) as session:
        as_user = (await session.execute(IDENTITY)).one()
    async with service_session(sessionmaker) as session:
        after = (await session.execute(IDENTITY)).one()

    assert as_user.pid == after.pid, "expected one backend for both transactions"
    assert (as_user.role, as_user.uid) == ("authenticated", user.id)
    assert (after.role, after.jwt_role, after.uid) == ("service_role", "service_role", None)
