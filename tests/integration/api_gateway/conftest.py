"""Fixtures of the gateway's auth tests: a migrated database, settings with cheap password
hashing, and a gateway served over real HTTP (real NATS, real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.postgres import PostgresServer
from shared.config.settings import GatewaySettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade
from shared.db.models import LoginFailure
from shared.db.tenancy import service_session

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
async def auth_sessionmaker(auth_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(auth_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def no_login_failures(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Forget every counted failure, for tests that count per IP (all tests share 127.0.0.1)."""
    async with service_session(auth_sessionmaker) as session:
        await session.execute(delete(LoginFailure))
