"""`cryptopulse up` brings up the whole system; market data flows from the replayed file to the browser."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import websockets

from cryptopulse.servers.ports import port_open
from tests.e2e.conftest import FileCandle, RunningStack, stop_stack

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def expected_path(candle: FileCandle) -> list[Decimal]:
    """The paper exchange's trades for a candle with 4 trades: open, then the nearer extreme, close."""
    if candle.close >= candle.open:
        return [candle.open, candle.low, candle.high, candle.close]
    return [candle.open, candle.high, candle.low, candle.close]


async def collect_trades(stack: RunningStack, count: int) -> list[dict[str, str]]:
    url = stack.gateway.replace("http", "ws") + "/api/ws"
    trades: list[dict[str, str]] = []
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"action": "subscribe", "symbol": "BTC/USDT", "interval": "1m"}))
        async with asyncio.timeout(90):
            while len(trades) < count:
                event = json.loads(await socket.recv())
                if event["type"] == "trades":  # batched every flush interval, oldest first
                    trades.extend(event["trades"])
    return trades


def test_every_service_reports_ready(stack: RunningStack) -> None:
    for name in ("PAPER", "GATEWAY", "FEED", "AGENT", "RISK_GATE", "EXECUTOR"):
        port = stack.env[f"CRYPTOPULSE_{name}_PORT"]
        for path in ("/healthz", "/readyz", "/metrics"):
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            assert response.status_code == 200, (name, path, response.text)


def test_websocket_ticks_follow_the_replayed_file_exactly(stack: RunningStack) -> None:
    trades = asyncio.run(collect_trades(stack, 14))
    prices = [Decimal(t["price"]) for t in trades]
    # Find where the stream is in the file, then every further tick must be the file's next price.
    path = [p for candle in stack.candles for p in expected_path(candle)]
    start = path.index(prices[0])
    assert prices == path[start : start + len(prices)]
    ids = [int(t["trade_id"]) for t in trades]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_candles_api_serves_the_files_candles(stack: RunningStack) -> None:
    response = httpx.get(
        f"{stack.gateway}/api/market/candles",
        params={"symbol": "BTC/USDT", "interval": "1m", "limit": 50},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["symbol"] == "BTC/USDT" and len(body["candles"]) == 50
    by_open = {c.open: c for c in stack.candles}
    times = [c["open_time"] for c in body["candles"]]
    assert times == sorted(times) and all(b - a == 60_000 for a, b in itertools.pairwise(times))
    for served in body["candles"]:
        source = by_open[Decimal(served["open"])]
        assert (
            Decimal(served["high"]),
            Decimal(served["low"]),
            Decimal(served["close"]),
            Decimal(served["volume"]),
        ) == (source.high, source.low, source.close, source.volume)


def test_five_minute_candles_are_rolled_up_from_the_files_minutes(stack: RunningStack) -> None:
    response = httpx.get(
        f"{stack.gateway}/api/market/candles",
        params={"symbol": "BTC/USDT", "interval": "5m", "limit": 5},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    index = {c.open: i for i, c in enumerate(stack.candles)}
    for served in response.json()["candles"]:
        first = index[Decimal(served["open"])]
        minutes = stack.candles[first : first + 5]
        assert Decimal(served["high"]) == max(m.high for m in minutes)
        assert Decimal(served["low"]) == min(m.low for m in minutes)
        assert Decimal(served["close"]) == minutes[-1].close
        assert Decimal(served["volume"]) == sum((m.volume for m in minutes), Decimal(0))


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"symbol": "DOGE/USDT", "interval": "1m"}, 404, "unknown_symbol"),
        ({"symbol": "not a symbol", "interval": "1m"}, 400, "invalid_symbol"),
        ({"symbol": "BTC/USDT", "interval": "7m"}, 400, "unknown_interval"),
        ({"symbol": "BTC/USDT", "interval": "1m", "limit": 5000}, 422, "invalid_request"),
    ],
)
def test_bad_candle_requests_get_a_4xx_with_the_reason(
    stack: RunningStack, params: dict[str, object], status: int, code: str
) -> None:
    response = httpx.get(f"{stack.gateway}/api/market/candles", params=params, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_openapi_and_web_app_are_served(stack: RunningStack) -> None:
    spec = httpx.get(f"{stack.gateway}/openapi.json", timeout=10).json()
    assert "/api/market/candles" in spec["paths"]
    page = httpx.get(stack.gateway + "/", timeout=10)
    assert page.status_code == 200 and '<div id="root"' in page.text


def test_browser_draws_live_candles(stack: RunningStack) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CRYPTOPULSE_CHROMIUM", "/usr/bin/chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(stack.gateway + "/")
            page.wait_for_selector(
                '[data-testid="connection-status"][data-status="connected"]', timeout=30_000
            )
            page.wait_for_function(
                "() => Number(document.querySelector('[data-testid=\"price-chart\"]')"
                "?.getAttribute('data-candle-count') ?? 0) >= 50",
                timeout=30_000,
            )
            first_price = page.inner_text('[data-testid="last-price"]')
            page.wait_for_function(
                "(before) => document.querySelector('[data-testid=\"last-price\"]').innerText !== before",
                arg=first_price,
                timeout=30_000,
            )
            assert page.locator("canvas").count() > 0
            page.screenshot(path=str(ARTIFACTS / "chart.png"))
            page.set_viewport_size({"width": 375, "height": 740})
            page.screenshot(path=str(ARTIFACTS / "chart-phone.png"))
        finally:
            browser.close()


def test_ctrl_c_stops_every_process(stack: RunningStack) -> None:
    assert stop_stack(stack) == 0
    for name in ("PAPER", "GATEWAY", "FEED", "AGENT", "RISK_GATE", "EXECUTOR", "NATS", "POSTGRES"):
        assert not port_open("127.0.0.1", int(stack.env[f"CRYPTOPULSE_{name}_PORT"])), name
