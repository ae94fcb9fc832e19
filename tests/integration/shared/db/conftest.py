"""Databases of the database-layer tests' own, on the session's PostgreSQL server.

Each test module gets databases nobody else touches: the shared ``cryptopulse`` database stays
for other suites, and the migration tests can start from truly empty ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cryptopulse.servers.postgres import PostgresServer
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.service_pool import create_service_pool

CreateDatabase = Callable[[], Awaitable[str]]


@pytest.fixture(scope="session")
async def create_database(postgres_server: PostgresServer) -> AsyncIterator[CreateDatabase]:
    """A factory of empty databases; returns each one's SQLAlchemy URL and drops them all at the end."""
    made: list[str] = []
    url = make_url(postgres_server.url)
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    async def create() -> str:
        name = f"cp_dbtest_{uuid4().hex[:12]}"
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield create
    async with admin.connect() as connection:
        for name in made:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def migrated_url(create_database: CreateDatabase) -> str:
    """A database migrated to head once, shared by the tenancy and repository tests (unique ids)."""
    url = await create_database()
    await upgrade_async(url)
    return url


@pytest.fixture(scope="session")
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture(scope="session")
async def service_pool(migrated_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_service_pool(migrated_url, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def one_connection_engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds exactly one connection: every checkout reuses the same backend."""
    engine = create_engine(migrated_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()
