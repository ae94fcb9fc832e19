"""A NATS server and a migrated database of the replay tests' own: the replay reads the whole
TRADING stream, so no other suite's messages may be on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.service_pool import create_service_pool
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.integration.replay.history import History
from tests.support.databases import migrated_database


@pytest.fixture(scope="module")
def replay_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    with NatsServer(tmp_path_factory.mktemp("replay-nats")) as server:
        yield server


@pytest.fixture(scope="module")
async def replay_db(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server.url, "replay")


@pytest.fixture(scope="module")
async def nc(replay_nats: NatsServer) -> AsyncIterator[Client]:
    connection = await nats.connect(replay_nats.url)
    await ensure_streams(connection.jetstream())
    yield connection
    await connection.close()


@pytest.fixture(scope="module")
async def sessionmaker(replay_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(replay_db)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="module")
async def writer_pool(replay_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_service_pool(replay_db, max_size=3)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def reader_pool(replay_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_service_pool(replay_db, max_size=2, read_only=True)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
def history(nc: Client, sessionmaker: async_sessionmaker[AsyncSession], writer_pool: asyncpg.Pool) -> History:
    return History(JetStreamPublisher(nc.jetstream()), sessionmaker, writer_pool)
