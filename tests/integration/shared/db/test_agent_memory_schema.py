"""Migration 0007 on real PostgreSQL: the private ``agent_memory`` schema holds exactly the tables
LangGraph's checkpointer would make, only ``service_role`` reaches them; up and down work."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agent.memory import MEMORY_SCHEMA, expected_version, libpq_conninfo
from shared.db.engine import create_engine
from shared.db.migrate import current_revision, downgrade_async, head_revision, upgrade_async
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import anonymous_session, claims_for, service_session, user_session

pytestmark = pytest.mark.postgres

SAVER_TABLES = ["checkpoint_blobs", "checkpoint_migrations", "checkpoint_writes", "checkpoints"]

# The shape of a schema's tables as the catalog reports it, schema names left out.
COLUMNS = """
SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, column_default::text
FROM information_schema.columns WHERE table_schema = :schema ORDER BY table_name, ordinal_position
"""
INDEXES = """
SELECT tablename::text, indexname::text, replace(indexdef, :schema || '.', '') FROM pg_indexes
WHERE schemaname = :schema ORDER BY tablename, indexname
"""


async def _rows(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql), params)]
    finally:
        await engine.dispose()


async def _memory_objects(url: str) -> tuple[list[str], list[int], bool]:
    tables = await _rows(
        url,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = :schema ORDER BY 1",
        schema=MEMORY_SCHEMA,
    )
    versions = (
        await _rows(url, f"SELECT v FROM {MEMORY_SCHEMA}.checkpoint_migrations ORDER BY v") if tables else []
    )
    usage = await _rows(url, "SELECT to_regclass('public.agent_token_usage') IS NOT NULL")
    return [t for (t,) in tables], [v for (v,) in versions], usage[0][0]


async def test_0007_downgrades_to_0006_and_upgrades_again(create_database: Any) -> None:
    url = await create_database()
    at_head = (SAVER_TABLES, list(range(expected_version() + 1)), True)

    await upgrade_async(url)
    assert await _memory_objects(url) == at_head

    await downgrade_async(url, "0006")
    assert await current_revision(url) == "0006"
    assert await _memory_objects(url) == ([], [], False)
    assert await _rows(url, "SELECT to_regnamespace(:schema) IS NULL", schema=MEMORY_SCHEMA) == [(True,)]

    await upgrade_async(url)
    assert await current_revision(url) == head_revision()
    assert await _memory_objects(url) == at_head


async def test_the_migration_makes_what_the_savers_own_setup_makes(create_database: Any) -> None:
    # A library upgrade that changes its tables fails here: it needs a migration of ours.
    url = await create_database()
    await upgrade_async(url)
    conninfo = libpq_conninfo(url)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True, row_factory=dict_row) as c:
        await c.execute("CREATE SCHEMA by_setup")
        await c.execute("SET search_path TO by_setup")
        await AsyncPostgresSaver(c).setup()

    columns, indexes = (
        await _rows(url, COLUMNS, schema=MEMORY_SCHEMA),
        await _rows(url, INDEXES, schema=MEMORY_SCHEMA),
    )
    assert sorted({table for table, *_ in columns}) == SAVER_TABLES and len(indexes) == 7
    assert columns == await _rows(url, COLUMNS, schema="by_setup")
    assert indexes == await _rows(url, INDEXES, schema="by_setup")
    versions = "SELECT v FROM {}.checkpoint_migrations ORDER BY v"
    assert await _rows(url, versions.format(MEMORY_SCHEMA)) == await _rows(url, versions.format("by_setup"))


@pytest.mark.parametrize("table", SAVER_TABLES)
async def test_users_and_anonymous_callers_cannot_reach_the_conversations(
    sessionmaker: async_sessionmaker[AsyncSession], table: str
) -> None:
    user = await UserRepository(sessionmaker).create(f"m-{table}@example.com", "M")
    for opened in (user_session(sessionmaker, claims_for(user.id)), anonymous_session(sessionmaker)):
        with pytest.raises(DBAPIError, match=f"permission denied for schema {MEMORY_SCHEMA}"):
            async with opened as session:
                await session.execute(text(f"SELECT count(*) FROM {MEMORY_SCHEMA}.{table}"))


async def test_the_service_reads_and_writes_the_conversations_but_cannot_change_the_schema(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with service_session(sessionmaker) as session:
        await session.execute(
            text(
                f"INSERT INTO {MEMORY_SCHEMA}.checkpoints (thread_id, checkpoint_id, checkpoint)"
                " VALUES ('svc:probe', 'c1', '{}')"
            )
        )
        deleted = await session.scalar(
            text(f"DELETE FROM {MEMORY_SCHEMA}.checkpoints WHERE thread_id = 'svc:probe' RETURNING 1")
        )
    assert deleted == 1
    with pytest.raises(DBAPIError, match="permission denied"):
        async with service_session(sessionmaker) as session:
            await session.execute(text(f"CREATE TABLE {MEMORY_SCHEMA}.smuggled (x int)"))
    with pytest.raises(DBAPIError, match="permission denied"):
        async with service_session(sessionmaker) as session:
            await session.execute(text(f"INSERT INTO {MEMORY_SCHEMA}.checkpoint_migrations VALUES (99)"))
