"""The gateway served over HTTP on the session's NATS and a migrated PostgreSQL, with users to
sign in as and a JetStream connection to read what it published."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import httpx
import nats
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.main import create_app
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade
from shared.db.repositories.users import UserRecord, UserRepository
from tests.integration.api_gateway.trading_support import trading_gateway_settings
from tests.support.asgi_server import serve_in_thread


@pytest.fixture(scope="module")
def trading_database_url(postgres_server: PostgresServer) -> str:
    upgrade(postgres_server.url)
    return postgres_server.url


@pytest.fixture(scope="module")
def trading_gateway(
    nats_server: NatsServer, trading_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = trading_gateway_settings(nats_server.url, trading_database_url, tmp_path_factory)
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
async def db(trading_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(trading_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def api(trading_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=trading_gateway, timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
async def js(nats_server: NatsServer) -> AsyncIterator[Any]:
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


async def _user(db: async_sessionmaker[AsyncSession], name: str) -> UserRecord:
    return await UserRepository(db).create(f"{name}-{uuid4().hex}@example.com", name)


@pytest.fixture
async def alice(db: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await _user(db, "alice")


@pytest.fixture
async def bob(db: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await _user(db, "bob")
