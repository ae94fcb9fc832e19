"""Fixtures of the gateway tests: a migrated database, the gateway served over real HTTP (real
NATS, real PostgreSQL), settings with cheap password hashing for the auth tests, users to sign in
as and a JetStream connection to read what the gateway published."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
import pytest
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade
from shared.db.models import LoginFailure
from shared.db.repositories.users import UserRecord, UserRepository
from shared.db.tenancy import service_session
from tests.integration.api_gateway.trading_support import trading_gateway_settings
from tests.support.asgi_server import serve_in_thread

AUTH_JWT_SECRET = SecretStr("gateway-auth-test-jwt-secret-" + "a" * 40)
ADMIN_EMAIL = "operator-admin@example.com"

AuthSettings = Callable[..., GatewaySettings]


@pytest.fixture(scope="module")
def auth_database_url(postgres_server: PostgresServer) -> str:
    upgrade(postgres_server.url)
    return postgres_server.url


@pytest.fixture(scope="module")
def auth_settings(
    nats_server: Any, auth_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AuthSettings:
    """Build gateway settings; argon2 is cheap here (the tests check behaviour, not cost)."""
    folder = tmp_path_factory.mktemp("auth-gateway")

    def build(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "nats_url": nats_server.url,
            "database_url": auth_database_url,
            "master_key_file": folder / "master.key",
            "web_dist_dir": Path(folder / "no-web-build"),
            "jwt_secret": AUTH_JWT_SECRET,
            "auth_argon2_time_cost": 1,
            "auth_argon2_memory_kib": 1024,
            "auth_admin_emails": (ADMIN_EMAIL,),
            "auth_login_failures_per_ip": 10_000,  # every test calls from 127.0.0.1
        }
        return GatewaySettings(**{**values, **overrides})

    return build


@pytest.fixture(scope="module")
def auth_gateway(auth_settings: AuthSettings) -> Iterator[str]:
    """A gateway with local accounts on, served for the module."""
    with serve_in_thread(create_app(auth_settings())) as url:
        yield url


@pytest.fixture
async def auth_client(auth_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_gateway, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
async def auth_sessionmaker(auth_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(auth_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def no_login_failures(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Forget every counted failure, for tests that count per IP (all tests share 127.0.0.1)."""
    async with service_session(auth_sessionmaker) as session:
        await session.execute(delete(LoginFailure))


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
