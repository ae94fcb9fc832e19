"""With CRYPTOPULSE_NATS_URL and CRYPTOPULSE_DATABASE_URL set, `cryptopulse up` uses those servers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from tests.e2e.conftest import start_stack, stop_stack

pytestmark = pytest.mark.e2e


def test_up_runs_on_external_nats_and_postgres_and_starts_neither(
    tmp_path: Path, fresh_nats: NatsServer, postgres_server: PostgresServer
) -> None:
    nats_server = fresh_nats  # its own: the stack's feed must not publish into other tests' streams
    database = postgres_server.create_database("stack_external")  # the feed writes candles into it
    stack = start_stack(
        tmp_path, {"CRYPTOPULSE_NATS_URL": nats_server.url, "CRYPTOPULSE_DATABASE_URL": database}
    )
    try:
        printed = "".join(stack.output)
        assert f"using external NATS at {nats_server.url}" in printed
        assert "using external PostgreSQL" in printed and "starting PostgreSQL" not in printed
        response = httpx.get(f"{stack.gateway}/api/market/candles", params={"symbol": "BTC/USDT"}, timeout=10)
        assert response.status_code == 200
    finally:
        assert stop_stack(stack) == 0
    assert not (tmp_path / "data" / "nats").exists() and not (tmp_path / "data" / "postgres").exists()
