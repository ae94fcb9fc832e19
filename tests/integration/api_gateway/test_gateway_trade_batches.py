"""Trades over ``/api/ws`` against real NATS and PostgreSQL: batched per symbol every flush
interval, complete and in order, only to the symbol's watchers; one frame per trade at interval 0."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings
from shared.db.migrate import upgrade
from shared.messages import subjects
from shared.messages.market import TradeTick
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]
T0 = datetime(2023, 3, 1, tzinfo=UTC)
TRADES = 300


def serve(
    flush_ms: int, nats_server: NatsServer, postgres_server: PostgresServer, folder: Path
) -> Iterator[str]:
    upgrade(postgres_server.url)
    settings = GatewaySettings(
        nats_url=nats_server.url,
        database_url=postgres_server.url,
        web_dist_dir=folder / "no-web-build",
        gateway_tick_flush_ms=flush_ms,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url.replace("http", "ws") + "/api/ws"


@pytest.fixture(scope="module")
def batching(
    nats_server: NatsServer, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from serve(50, nats_server, postgres_server, tmp_path_factory.mktemp("batching"))


@pytest.fixture(scope="module")
def unbatched(
    nats_server: NatsServer, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    yield from serve(0, nats_server, postgres_server, tmp_path_factory.mktemp("unbatched"))


async def publish(nats_url: str, count: int, prefix: str) -> list[str]:
    """``count`` BTC/USDT trades on core NATS as fast as the client sends them; their ids in order."""
    connection = await nats.connect(nats_url)
    ids = [f"{prefix}-{n}" for n in range(count)]
    for n, trade_id in enumerate(ids):
        tick = TradeTick(
            venue="paper", symbol="BTC/USDT", trade_id=trade_id, price=f"{30000 + n}.01", quantity="0.002",
            ts_event=T0 + timedelta(milliseconds=n),
        )  # fmt: skip
        await connection.publish(subjects.trades("paper", "BTC/USDT"), tick.to_json())
    await connection.flush()
    await connection.close()
    return ids


async def subscribed(url: str, symbol: str) -> ClientConnection:
    socket = await websockets.connect(f"{url}?symbol={symbol}&interval=1m")
    assert json.loads(await socket.recv())["type"] == "subscribed"
    return socket


async def frames_until(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    """Frames received until they carry ``count`` trades (a ``trades`` frame counts each of its)."""
    frames: list[dict[str, Any]] = []
    carried = 0
    while carried < count:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        frames.append(frame)
        carried += len(frame["trades"]) if frame["type"] == "trades" else 1
    return frames


async def test_trades_published_quickly_arrive_batched_complete_and_in_order(
    batching: str, nats_server: NatsServer
) -> None:
    btc, eth = await subscribed(batching, "BTC/USDT"), await subscribed(batching, "ETH/USDT")
    try:
        ids = await publish(nats_server.url, TRADES, "batched")
        frames = await frames_until(btc, TRADES)
        assert {f["type"] for f in frames} == {"trades"} and {f["symbol"] for f in frames} == {"BTC/USDT"}
        assert [t["trade_id"] for f in frames for t in f["trades"]] == ids
        assert frames[0]["trades"][0] == {
            "trade_id": ids[0],
            "price": "30000.01",
            "quantity": "0.002",
            "ts": 1677628800000,
        }
        assert len(frames) < TRADES / 10  # published within a few flushes: a few frames, not 300
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(eth.recv(), 0.3)  # another symbol's watcher gets none
    finally:
        await btc.close()
        await eth.close()


async def test_a_client_that_does_not_read_holds_up_no_one(batching: str, nats_server: NatsServer) -> None:
    stalled, reader = await subscribed(batching, "BTC/USDT"), await subscribed(batching, "BTC/USDT")
    try:
        ids = await publish(nats_server.url, TRADES, "stalled")
        frames = await frames_until(reader, TRADES)
        assert [t["trade_id"] for f in frames for t in f["trades"]] == ids
    finally:
        await stalled.close()
        await reader.close()


async def test_a_flush_interval_of_zero_sends_one_trade_frame_per_trade(
    unbatched: str, nats_server: NatsServer
) -> None:
    btc = await subscribed(unbatched, "BTC/USDT")
    try:
        ids = await publish(nats_server.url, 50, "single")
        frames = await frames_until(btc, 50)
        assert [f["type"] for f in frames] == ["trade"] * 50
        assert [f["trade_id"] for f in frames] == ids
        assert frames[0] == {
            "type": "trade", "symbol": "BTC/USDT", "trade_id": ids[0], "price": "30000.01",
            "quantity": "0.002", "ts": 1677628800000,
        }  # fmt: skip
    finally:
        await btc.close()
