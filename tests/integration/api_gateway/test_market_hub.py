"""The market hub against real NATS: batched trades, order with candles, shutdown, slow clients.

Clients here are the hub's own ``ClientFeed`` outboxes (what ``/api/ws`` drains into the socket),
so a client that never drains is exactly a client that cannot keep up.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from prometheus_client import CollectorRegistry

from cryptopulse.servers.nats import NatsServer
from services.api_gateway.client_feed import ClientFeed
from services.api_gateway.market_hub import HubMetrics, MarketHub
from shared.messages import subjects
from shared.messages.market import Candle, TradeTick

pytestmark = pytest.mark.nats
T0 = datetime(2023, 3, 1, tzinfo=UTC)


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    connection = await nats.connect(nats_server.url)
    yield connection
    await connection.close()


def tick(n: int, symbol: str = "BTC/USDT") -> bytes:
    return TradeTick(
        venue="paper", symbol=symbol, trade_id=str(n), price=f"{100 + n}.5", quantity="0.01",
        ts_event=T0 + timedelta(milliseconds=n),
    ).to_json()  # fmt: skip


def candle() -> bytes:
    return Candle(
        venue="paper", symbol="BTC/USDT", interval="1m", open_time=T0, close_time=T0 + timedelta(minutes=1),
        open="1", high="2", low="0.5", close="1.5", volume="3", ts_event=T0,
    ).to_json()  # fmt: skip


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.01)


def drained(client: ClientFeed) -> list[dict[str, Any]]:
    events = []
    while not client.outbox.empty():
        events.append(json.loads(client.outbox.get_nowait()))
    return events


def trade_ids(events: list[dict[str, Any]]) -> list[str]:
    return [t["trade_id"] for e in events if e["type"] == "trades" for t in e["trades"]]


async def publish_trades(nc: Client, ids: range, symbol: str = "BTC/USDT") -> None:
    for n in ids:
        await nc.publish(subjects.trades("paper", symbol), tick(n, symbol))
    await nc.flush()


async def sent_at_once_then_resting(hub: MarketHub, nc: Client, client: ClientFeed) -> None:
    """The first trade after a quiet spell goes out at once; the hub then rests an interval."""
    await publish_trades(nc, range(-1, 0))
    await until(lambda: not client.outbox.empty())
    assert trade_ids(drained(client)) == ["-1"] and hub.pending_trades == 0


async def test_trades_within_an_interval_wait_for_the_flush_and_a_candle_never_overtakes_them(
    nc: Client,
) -> None:
    hub = MarketHub("paper", HubMetrics(CollectorRegistry()), flush_s=30.0)  # no timed flush in the test
    client = ClientFeed()
    hub.watch(client, "BTC/USDT", "1m")
    await hub.attach(nc)
    try:
        await sent_at_once_then_resting(hub, nc, client)
        await publish_trades(nc, range(5))
        await until(lambda: hub.pending_trades == 5)
        assert client.outbox.empty()  # batched, not yet sent
        await nc.publish(subjects.candles("paper", "BTC/USDT", "1m"), candle())
        await until(lambda: client.outbox.qsize() == 2)
        first, second = drained(client)
        assert first["type"] == "trades" and first["symbol"] == "BTC/USDT"
        assert first["trades"][0] == {
            "trade_id": "0",
            "price": "100.5",
            "quantity": "0.01",
            "ts": 1677628800000,
        }
        assert trade_ids([first]) == ["0", "1", "2", "3", "4"]
        assert second["type"] == "candle" and second["close"] == "1.5"
        assert hub.pending_trades == 0
    finally:
        await hub.detach()


async def test_shutdown_sends_what_is_batched_and_stops_the_flush_task(nc: Client) -> None:
    hub = MarketHub("paper", HubMetrics(CollectorRegistry()), flush_s=30.0)
    client = ClientFeed()
    hub.watch(client, "BTC/USDT", "1m")
    await hub.attach(nc)
    assert hub.flushing
    await sent_at_once_then_resting(hub, nc, client)
    await publish_trades(nc, range(7))
    await until(lambda: hub.pending_trades == 7)
    await hub.detach()
    assert not hub.flushing
    assert trade_ids(drained(client)) == [str(n) for n in range(7)]
    await publish_trades(nc, range(7, 9))  # unsubscribed: nothing more arrives
    await asyncio.sleep(0.1)
    assert client.outbox.empty() and hub.pending_trades == 0


async def test_the_flush_task_sends_each_symbol_only_to_its_watchers(nc: Client) -> None:
    hub = MarketHub("paper", HubMetrics(CollectorRegistry()), flush_s=0.02)
    btc, eth, idle = ClientFeed(), ClientFeed(), ClientFeed()
    hub.watch(btc, "BTC/USDT", "1m")
    hub.watch(eth, "ETH/USDT", "1m")
    await hub.attach(nc)
    try:
        await publish_trades(nc, range(10))
        await publish_trades(nc, range(100, 103), "ETH/USDT")
        await publish_trades(nc, range(200, 203), "SOL/USDT")  # nobody watches: not even batched
        await until(lambda: not eth.outbox.empty() and hub.pending_trades == 0)
        await asyncio.sleep(0.1)  # a last flush may still be due
        assert trade_ids(drained(btc)) == [str(n) for n in range(10)]
        assert trade_ids(drained(eth)) == ["100", "101", "102"]
        assert idle.outbox.empty()
    finally:
        await hub.detach()


async def test_a_client_that_falls_behind_loses_its_oldest_frames_counted_and_others_get_everything(
    nc: Client,
) -> None:
    registry = CollectorRegistry()
    hub = MarketHub("paper", HubMetrics(registry), flush_s=0.01)
    slow, fast = ClientFeed(capacity=2), ClientFeed()
    hub.watch(slow, "BTC/USDT", "1m")
    hub.watch(fast, "BTC/USDT", "1m")
    await hub.attach(nc)
    received: list[dict[str, Any]] = []
    try:

        def fast_has(count: int) -> bool:
            received.extend(drained(fast))
            return len(trade_ids(received)) == count

        for burst in range(5):  # at least five flushes: more frames than the slow client holds
            await publish_trades(nc, range(burst * 10, burst * 10 + 10))
            await until(functools.partial(fast_has, burst * 10 + 10))
        assert trade_ids(received) == [str(n) for n in range(50)]
        assert slow.dropped == len(received) - 2 >= 3
        assert trade_ids(drained(slow)) == trade_ids(received[-2:])  # it keeps the newest
        assert registry.get_sample_value("gateway_ws_dropped_total") == slow.dropped
        assert registry.get_sample_value("gateway_ws_messages_total", {"type": "trades"}) == 2 * len(received)
    finally:
        await hub.detach()
