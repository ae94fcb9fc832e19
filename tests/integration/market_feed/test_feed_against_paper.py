"""market_feed against the real paper exchange, NATS and PostgreSQL, including a misbehaving exchange."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client
from sqlalchemy import text

from cryptopulse.servers.postgres import PostgresServer
from services.market_feed.main import create_app
from shared.config.settings import MarketFeedSettings
from shared.db.engine import create_engine
from shared.db.migrate import upgrade
from shared.messages import subjects
from shared.messages.market import Candle, TradeTick
from tests.support.asgi_server import serve_in_thread
from tests.support.paper import PaperServer

pytestmark = [pytest.mark.nats, pytest.mark.postgres]
MINUTE = 60_000


@pytest.fixture(scope="module")
def database(postgres_server: PostgresServer) -> str:
    upgrade(postgres_server.url)
    return postgres_server.url


@pytest.fixture
def exchange() -> Iterator[PaperServer]:
    """Ten simulated minutes per second, 120 trades a minute: a candle closes every 0.1 s."""
    server = PaperServer(paper_symbols=("BTC/USDT",), paper_trades_per_candle=120).start()
    yield server
    server.stop()


@pytest.fixture
def feed(exchange: PaperServer, nats_url: str, database: str) -> Callable[..., Any]:
    def start(**overrides: Any) -> Any:
        fields: dict[str, Any] = dict(
            nats_url=nats_url,
            database_url=database,
            paper_url=exchange.http,
            feed_symbols=("BTC/USDT",),
            feed_intervals=("1m", "5m"),
            feed_backfill_candles=50,
            feed_poll_interval_s=0.2,
            feed_reconnect_max_s=1.0,
            log_level="WARNING",
        )
        settings = MarketFeedSettings(**{**fields, **overrides})
        return serve_in_thread(create_app(settings))

    return start


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


class Recorder:
    """Collects what the feed publishes on core NATS."""

    def __init__(self) -> None:
        self.trades: list[TradeTick] = []
        self.candles: list[Candle] = []

    async def attach(self, nc: Client) -> None:
        async def on_trade(msg: Any) -> None:
            self.trades.append(TradeTick.from_json(msg.data))

        async def on_candle(msg: Any) -> None:
            self.candles.append(Candle.from_json(msg.data))

        await nc.subscribe(subjects.trades("paper", "BTC/USDT"), cb=on_trade)
        await nc.subscribe(subjects.candles("paper", "BTC/USDT", "*"), cb=on_candle)

    def trade_ids(self) -> list[int]:
        return [int(t.trade_id) for t in self.trades]

    def minute_opens(self) -> list[int]:
        return sorted({int(c.open_time.timestamp() * 1000) for c in self.candles if c.interval == "1m"})


async def wait_until(condition: Callable[[], Any], timeout_s: float, what: str) -> None:
    """Wait until ``condition()`` (a value or an awaitable) is truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url)


async def metrics_of(url: str) -> str:
    return (await get(f"{url}/metrics")).text


async def _streaming(url: str) -> bool:
    return 'feed_streaming{stream="trades",symbol="BTC/USDT"} 1.0' in await metrics_of(url)


async def _ready(url: str) -> bool:
    return (await get(f"{url}/readyz")).status_code == 200


def assert_contiguous(values: list[int], step: int, what: str) -> None:
    holes = [(a, b) for a, b in itertools.pairwise(values) if b - a != step]
    assert not holes, f"{what} has holes or repeats: {holes[:5]}"


async def faults(exchange: PaperServer, **settings: Any) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(f"{exchange.http}/admin/faults", json=settings)
    assert response.status_code == 200, response.text


async def test_ticks_and_candles_flow_exact_and_without_holes(feed: Any, bus: Client, database: str) -> None:
    recorder = Recorder()
    await recorder.attach(bus)
    with feed() as url:
        await wait_until(
            lambda: len(recorder.trades) >= 600 and len(recorder.minute_opens()) >= 30, 30, "data"
        )
        metrics = await metrics_of(url)
    ids = sorted(set(recorder.trade_ids()))
    assert_contiguous(ids, 1, "trade ids")
    assert_contiguous(recorder.minute_opens(), MINUTE, "1m candles")
    five = [c for c in recorder.candles if c.interval == "5m" and c.ts_init > recorder.candles[0].ts_init]
    assert five, "no 5m candle was rolled up"
    assert 'feed_ticks_published_total{symbol="BTC/USDT"}' in metrics
    engine = create_engine(database)
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                text("select count(*) from market_candles where symbol = 'BTC/USDT' and interval = '1m'")
            )
        ).scalar_one()
    await engine.dispose()
    assert stored >= 30


async def test_dropped_sockets_are_reconnected_and_the_gap_backfilled(
    feed: Any, exchange: PaperServer, bus: Client
) -> None:
    recorder = Recorder()
    await recorder.attach(bus)
    with feed() as url:
        await wait_until(lambda: len(recorder.trades) >= 200, 30, "first trades")
        for _ in range(3):
            await faults(exchange, drop_streams=True)
            await asyncio.sleep(0.7)
        seen = len(recorder.trades)
        await wait_until(lambda: len(recorder.trades) >= seen + 300, 30, "trades after the drops")
        # Streaming again, whoever reconnected: ccxt.pro re-dials a dropped socket by itself and
        # tells a watcher only if one was waiting (then the feed counts a reconnect and polls).
        await wait_until(lambda: _streaming(url), 30, "the trade socket to stream again")
    assert_contiguous(sorted(set(recorder.trade_ids())), 1, "trade ids across reconnects")
    assert_contiguous(recorder.minute_opens(), MINUTE, "1m candles across reconnects")


async def test_while_sockets_are_refused_the_feed_polls_rest_and_then_streams_again(
    feed: Any, exchange: PaperServer, bus: Client
) -> None:
    recorder = Recorder()
    await recorder.attach(bus)
    with feed() as url:
        await wait_until(lambda: len(recorder.trades) >= 100, 30, "first trades")
        await faults(exchange, streams_down=True, drop_streams=True)
        await asyncio.sleep(0.5)
        polled_from = len(recorder.trades)
        await wait_until(lambda: len(recorder.trades) >= polled_from + 100, 30, "polled trades")
        polling = await metrics_of(url)
        await faults(exchange, streams_down=None)
        await wait_until(
            lambda: _streaming(url),
            30,
            "the socket to come back",
        )
    assert 'feed_streaming{stream="trades",symbol="BTC/USDT"} 0.0' in polling
    assert 'feed_rest_polls_total{stream="trades",symbol="BTC/USDT"}' in polling
    assert_contiguous(recorder.minute_opens(), MINUTE, "1m candles while polling")


async def test_an_exchange_down_at_start_delays_readiness_and_nothing_crashes(
    feed: Any, exchange: PaperServer, bus: Client
) -> None:
    await faults(exchange, rest_status=503)
    recorder = Recorder()
    await recorder.attach(bus)
    with feed() as url:
        await asyncio.sleep(1.5)
        not_ready = await get(f"{url}/readyz")
        await faults(exchange, rest_status=None)
        await wait_until(lambda: _ready(url), 30, "readiness")
        await wait_until(lambda: len(recorder.trades) >= 50, 30, "trades")
        metrics = await metrics_of(url)
    assert not_ready.status_code == 503 and not_ready.json()["checks"]["feed"] is False
    assert 'feed_errors_total{kind="venue"}' in metrics


async def test_unknown_configured_symbols_are_skipped_loudly(feed: Any, bus: Client) -> None:
    recorder = Recorder()
    await recorder.attach(bus)
    with feed(feed_symbols=("BTC/USDT", "XRP/USDT")) as url:
        await wait_until(lambda: len(recorder.trades) >= 20, 30, "trades of the listed symbol")
        metrics = await metrics_of(url)
    assert 'feed_errors_total{kind="unknown_symbol"} 1.0' in metrics


async def test_malformed_frames_are_dead_lettered_counted_and_the_feed_goes_on(
    nats_url: str, database: str, bus: Client
) -> None:
    # 120 trades a second: the socket's outage while ccxt recovers stays within /api/v3/trades' 1,000.
    slower = PaperServer(paper_symbols=("BTC/USDT",), paper_trades_per_candle=120, paper_speed=60.0).start()
    recorder = Recorder()
    await recorder.attach(bus)
    letters: list[bytes] = []

    async def on_letter(msg: Any) -> None:
        letters.append(msg.data)

    await bus.subscribe(subjects.dead_letters("market_feed"), cb=on_letter)
    settings = MarketFeedSettings(
        nats_url=nats_url,
        database_url=database,
        paper_url=slower.http,
        feed_symbols=("BTC/USDT",),
        feed_intervals=("1m",),
        feed_backfill_candles=20,
        feed_poll_interval_s=0.2,
        feed_reconnect_max_s=1.0,
        feed_stale_after_s=1.0,
        log_level="WARNING",
    )
    try:
        with serve_in_thread(create_app(settings)) as url:
            await wait_until(lambda: len(recorder.trades) >= 50, 30, "first trades")
            await faults(slower, malformed_frames=True)
            await wait_until(lambda: letters, 10, "a dead letter")
            seen = len(recorder.trades)
            await wait_until(lambda: len(recorder.trades) >= seen + 300, 30, "trades after the garbage")
            metrics = await metrics_of(url)
    finally:
        slower.stop()
    letter = json.loads(letters[0])
    assert "price" in letter["reason"] and '"-1"' in letter["payload"]
    assert 'feed_bad_venue_data_total{kind="trade"} 1.0' in metrics
    assert 'feed_reconnects_total{stream="trades",symbol="BTC/USDT"}' in metrics
    assert_contiguous(sorted(set(recorder.trade_ids())), 1, "trade ids around the garbage")


async def test_a_slow_exchange_slows_the_feed_but_nothing_is_lost(
    feed: Any, exchange: PaperServer, bus: Client
) -> None:
    await faults(exchange, latency_ms=800)  # every REST answer, the backfill's included, waits 0.8 s
    recorder = Recorder()
    await recorder.attach(bus)
    with feed():
        await wait_until(lambda: len(recorder.trades) >= 300, 45, "trades from a slow exchange")
        await wait_until(lambda: len(recorder.minute_opens()) >= 20, 45, "candles from a slow exchange")
    assert_contiguous(sorted(set(recorder.trade_ids())), 1, "trade ids from a slow exchange")
    assert_contiguous(recorder.minute_opens(), MINUTE, "1m candles from a slow exchange")
