"""The migrations apply, re-apply as a no-op, reverse, agree with the models, and force RLS."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import current_revision, downgrade_async, head_revision, upgrade, upgrade_async
from shared.db.models import Base, User
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import claims_for, service_session, user_session

pytestmark = pytest.mark.postgres

TABLES = sorted(Base.metadata.tables)
REPO_ROOT = Path(__file__).resolve().parents[4]


async def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def _tables(url: str) -> list[str]:
    found = await _scalar(
        url,
        "SELECT coalesce(array_agg(tablename::text ORDER BY tablename), '{}') FROM pg_tables"
        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'",
    )
    return list(found)


@pytest.fixture
async def empty_url(create_database: Any) -> str:
    url: str = await create_database()
    return url


def test_sync_upgrade_applies_and_reapplies_as_a_no_op(empty_url: str) -> None:
    # A plain (non-async) test: the caller has no running loop, as in `cryptopulse up`.
    assert asyncio.run(current_revision(empty_url)) is None

    upgrade(empty_url)
    upgrade(empty_url)

    assert asyncio.run(current_revision(empty_url)) == head_revision()
    assert asyncio.run(_tables(empty_url)) == TABLES


async def test_async_upgrade_downgrade_and_upgrade_again(empty_url: str) -> None:
    await upgrade_async(empty_url)
    await upgrade_async(empty_url)
    assert await _scalar(empty_url, "SELECT count(*) FROM alembic_version") == 1

    await downgrade_async(empty_url, "base")
    assert await current_revision(empty_url) is None
    assert await _tables(empty_url) == []

    # Roles and auth functions survive the downgrade; the upgrade must cope with finding them.
    await upgrade_async(empty_url)
    assert await current_revision(empty_url) == head_revision()
    assert await _tables(empty_url) == TABLES


async def test_concurrent_upgrades_in_one_process_take_turns(empty_url: str) -> None:
    # Alembic's proxies are process globals: interleaved commands would corrupt each other.
    await asyncio.gather(*(upgrade_async(empty_url) for _ in range(4)))

    assert await current_revision(empty_url) == head_revision()


def test_concurrent_upgrades_in_several_processes_queue_on_the_advisory_lock(empty_url: str) -> None:
    # Every service may migrate on boot; without the lock they race on CREATE TABLE.
    script = "import sys; from shared.db.migrate import upgrade; upgrade(sys.argv[1])"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_url], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    failures = [p.communicate(timeout=120)[1] for p in processes if p.wait(timeout=120) != 0]

    assert failures == []
    assert asyncio.run(current_revision(empty_url)) == head_revision()


async def test_upgrade_from_a_running_loop_through_the_sync_wrapper(empty_url: str) -> None:
    # Blocking, but it must not fail or disturb this loop (it runs on a thread of its own).
    upgrade(empty_url)

    assert await current_revision(empty_url) == head_revision()
    await asyncio.sleep(0)


async def test_models_match_the_migration(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_every_table_has_row_level_security_enabled_and_forced(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                    " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                    " AND relname <> 'alembic_version' ORDER BY relname"
                )
            )
        ).all()

    assert [tuple(row) for row in rows] == [(name, True, True) for name in TABLES]


async def test_roles_exist_and_only_service_role_bypasses_rls(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT rolname, rolbypassrls, rolcanlogin FROM pg_roles"
                    " WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY rolname"
                )
            )
        ).all()

    assert [tuple(row) for row in rows] == [
        ("anon", False, False),
        ("authenticated", False, False),
        ("service_role", True, False),
    ]


async def test_auth_functions_are_supabases(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        body = (
            await connection.execute(text("SELECT prosrc FROM pg_proc WHERE oid = 'auth.uid'::regproc"))
        ).scalar_one()

    assert "nullif(current_setting('request.jwt.claim.sub', true), '')" in body
    assert "(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')" in body


async def test_a_non_superuser_owner_migrates_and_is_itself_held_by_rls(
    empty_url: str, migrated_url: str
) -> None:
    # Hosted PostgreSQL (Supabase included) gives the app an owner role, not a superuser. The
    # roles exist already (migrated_url made them); the administrator grants their membership.
    owner = f"cp_owner_{uuid4().hex[:8]}"
    url = make_url(empty_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"CREATE ROLE {owner} LOGIN"))
            await connection.execute(text(f"GRANT anon, authenticated, service_role TO {owner}"))
            await connection.execute(text(f'ALTER DATABASE "{url.database}" OWNER TO {owner}'))
    finally:
        await admin.dispose()
    owner_url = url.set(username=owner).render_as_string(hide_password=False)

    await upgrade_async(owner_url)
    engine = create_engine(owner_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        alice = await UserRepository(sessionmaker).create(f"{owner}@example.com", "alice")
        async with sessionmaker() as session:
            seen_by_owner = await session.scalar(select(func.count()).select_from(User))
        async with service_session(sessionmaker) as session:
            seen_by_service = await session.scalar(select(func.count()).select_from(User))
        async with user_session(sessionmaker, claims_for(alice.id)) as session:
            seen_by_alice = (await session.scalars(select(User.id))).all()
    finally:
        await engine.dispose()

    assert (seen_by_owner, seen_by_service, seen_by_alice) == (0, 1, [alice.id])
