"""The gateway against real NATS and PostgreSQL: candles over REST, live market data over /api/ws."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import websockets

from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.candles import CandleRepository
from shared.messages import subjects
from shared.messages.market import Candle, TradeTick
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.support.asgi_server import serve_in_thread
from tests.support.databases import migrated_database

pytestmark = [pytest.mark.nats, pytest.mark.postgres]
T0 = datetime(2023, 3, 1, tzinfo=UTC)


def candle(i: int, interval: str = "1m") -> Candle:
    open_time = T0 + timedelta(minutes=i)
    return Candle(
        venue="paper",
        symbol="BTC/USDT",
        interval=interval,
        open_time=open_time,
        close_time=open_time + timedelta(minutes=1),
        open=f"{100 + i}.5",
        high=f"{101 + i}",
        low=f"{99 + i}",
        close=f"{100 + i}.25",
        volume="0.000001",
        ts_event=open_time,
    )


@pytest.fixture(scope="module")
def gateway(
    nats_server: Any, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    async def seeded() -> str:
        # A database of this module's own: other modules' candles would change "the latest 10".
        url = await migrated_database(postgres_server.url, "gw_market")
        engine = create_engine(url)
        await CandleRepository(create_sessionmaker(engine)).upsert([candle(i) for i in range(30)])
        await engine.dispose()
        return url

    database_url = asyncio.run(seeded())
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text('<!doctype html><div id="root"></div>')
    settings = GatewaySettings(nats_url=nats_server.url, database_url=database_url, web_dist_dir=Path(dist))
    with serve_in_thread(create_app(settings)) as url:
        yield url


def test_candles_come_back_oldest_first_with_exact_decimals(gateway: str) -> None:
    body = httpx.get(f"{gateway}/api/market/candles", params={"symbol": "btcusdt", "limit": 10}).json()
    assert body["symbol"] == "BTC/USDT" and body["interval"] == "1m"
    assert [c["open"] for c in body["candles"]] == [f"{100 + i}.5" for i in range(20, 30)]
    assert body["candles"][0]["volume"] == "0.000001"


def test_an_unknown_symbol_is_a_404_naming_the_listed_ones(gateway: str) -> None:
    response = httpx.get(f"{gateway}/api/market/candles", params={"symbol": "XRP/USDT"})
    assert response.status_code == 404
    assert "BTC/USDT" in response.json()["error"]["message"]


def test_symbols_and_ops_endpoints(gateway: str) -> None:
    assert httpx.get(f"{gateway}/api/market/symbols").json()["symbols"][0] == "BTC/USDT"
    assert httpx.get(f"{gateway}/readyz").json()["ready"] is True
    assert b"gateway_ws_clients" in httpx.get(f"{gateway}/metrics").content
    assert httpx.get(f"{gateway}/some/client/route").text.startswith("<!doctype html>")


async def publish(nats_url: str, subject: str, message: Any) -> None:
    nc = await nats.connect(nats_url)
    await ensure_streams(nc.jetstream())
    await JetStreamPublisher(nc.jetstream()).publish(subject, message)
    await nc.close()


async def test_live_trades_and_candles_reach_only_the_subscribed_client(
    gateway: str, nats_server: Any
) -> None:
    url = gateway.replace("http", "ws") + "/api/ws"
    async with (
        websockets.connect(url + "?symbol=BTC/USDT&interval=1m") as btc,
        websockets.connect(url) as eth,
    ):
        assert json.loads(await btc.recv())["type"] == "subscribed"
        await eth.send(json.dumps({"action": "subscribe", "symbol": "ETH/USDT", "interval": "1m"}))
        assert json.loads(await eth.recv()) == {"type": "subscribed", "symbol": "ETH/USDT", "interval": "1m"}
        tick = TradeTick(
            venue="paper", symbol="BTC/USDT", trade_id="42", price="23140.48", quantity="0.5", ts_event=T0
        )
        await publish(nats_server.url, subjects.trades("paper", "BTC/USDT"), tick)
        await publish(nats_server.url, subjects.candles("paper", "BTC/USDT", "1m"), candle(99))
        await publish(
            nats_server.url,
            subjects.candles("paper", "BTC/USDT", "5m"),
            candle(100, "5m").with_changes(close_time=T0 + timedelta(minutes=105)),
        )
        trades = json.loads(await asyncio.wait_for(btc.recv(), 5))
        assert trades == {
            "type": "trades",
            "symbol": "BTC/USDT",
            "trades": [{"trade_id": "42", "price": "23140.48", "quantity": "0.5", "ts": 1677628800000}],
        }
        pushed = json.loads(await asyncio.wait_for(btc.recv(), 5))
        assert pushed["type"] == "candle" and pushed["interval"] == "1m" and pushed["open"] == "199.5"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(btc.recv(), 0.5)  # the 5m candle is not what it watches
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(eth.recv(), 0.3)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        ('{"action": "fly"}', "unknown_action"),
        ('{"action": "subscribe", "symbol": "DOGE/USDT"}', "unknown_symbol"),
        ('{"action": "subscribe", "symbol": "BTC/USDT", "interval": "2d"}', "unknown_interval"),
        ("x" * 9000, "frame_too_large"),
    ],
)
async def test_bad_frames_get_an_error_event_and_the_socket_stays_open(
    gateway: str, frame: str, code: str
) -> None:
    async with websockets.connect(gateway.replace("http", "ws") + "/api/ws") as socket:
        await socket.send(frame)
        assert json.loads(await socket.recv())["code"] == code
        await socket.send('{"action": "ping"}')
        assert json.loads(await socket.recv()) == {"type": "pong"}
