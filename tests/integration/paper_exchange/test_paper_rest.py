"""The REST API answers with Binance's paths, JSON shapes, headers and error codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.asyncio


async def get(paper: Any, path: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=paper.http, timeout=10) as http:
        return await http.get(path, params=params)


async def test_ping_answers_empty_object_with_used_weight_header(paper: Any) -> None:
    response = await get(paper, "/api/v3/ping")
    assert response.status_code == 200 and response.json() == {}
    assert int(response.headers["X-MBX-USED-WEIGHT-1M"]) >= 1


async def test_exchange_info_symbol_has_binance_filters(paper: Any) -> None:
    info = (await get(paper, "/api/v3/exchangeInfo", symbol="BTCUSDT")).json()
    assert info["timezone"] == "UTC" and isinstance(info["serverTime"], int)
    assert {r["rateLimitType"] for r in info["rateLimits"]} >= {"REQUEST_WEIGHT", "ORDERS"}
    [btc] = info["symbols"]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"]) == ("TRADING", "BTC", "USDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.01")
    assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.00001")
    assert Decimal(filters["NOTIONAL"]["minNotional"]) == Decimal("5")
    assert "MARKET_LOT_SIZE" in filters and btc["permissionSets"] == [["SPOT"]]


async def test_exchange_info_symbols_param_selects_those_symbols(paper: Any) -> None:
    info = (await get(paper, "/api/v3/exchangeInfo", symbols='["ETHUSDT","SOLUSDT"]')).json()
    assert [s["symbol"] for s in info["symbols"]] == ["ETHUSDT", "SOLUSDT"]


async def test_klines_rows_are_binance_arrays_ending_with_the_forming_candle(paper: Any) -> None:
    # The simulated clock runs ten minutes a second here, so bracket the call with server times.
    before = (await get(paper, "/api/v3/ticker/24hr", symbol="BTCUSDT")).json()["closeTime"]
    rows = (await get(paper, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=5)).json()
    after = (await get(paper, "/api/v3/ticker/24hr", symbol="BTCUSDT")).json()["closeTime"]
    assert len(rows) == 5
    for row in rows:
        assert len(row) == 12 and isinstance(row[0], int) and isinstance(row[6], int)
        assert all(isinstance(row[i], str) for i in (1, 2, 3, 4, 5, 7, 9, 10))
        assert row[6] == row[0] + 59_999
    assert rows[-1][0] <= after and rows[-1][6] + 1000 >= before  # the last row was forming


async def test_klines_start_time_returns_candles_from_that_time(paper: Any) -> None:
    recent = (await get(paper, "/api/v3/klines", symbol="ETHUSDT", interval="1m", limit=50)).json()
    start = recent[10][0]
    rows = (
        await get(paper, "/api/v3/klines", symbol="ETHUSDT", interval="1m", startTime=start, limit=3)
    ).json()
    assert [r[0] for r in rows] == [start, start + 60_000, start + 120_000]


async def test_ticker_price_without_symbol_lists_every_symbol(paper: Any) -> None:
    prices = (await get(paper, "/api/v3/ticker/price")).json()
    assert [p["symbol"] for p in prices] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]


async def test_book_ticker_bid_is_below_ask(paper: Any) -> None:
    top = (await get(paper, "/api/v3/ticker/bookTicker", symbol="SOLUSDT")).json()
    assert Decimal(top["bidPrice"]) < Decimal(top["askPrice"])


async def test_depth_limit_bounds_the_levels(paper: Any) -> None:
    book = (await get(paper, "/api/v3/depth", symbol="BTCUSDT", limit=5)).json()
    assert len(book["bids"]) == len(book["asks"]) == 5 and book["lastUpdateId"] > 0


async def test_avg_price_is_within_the_last_minutes_range(paper: Any) -> None:
    avg = (await get(paper, "/api/v3/avgPrice", symbol="BTCUSDT")).json()
    rows = (await get(paper, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=6)).json()
    assert avg["mins"] == 5
    assert min(Decimal(r[3]) for r in rows) <= Decimal(avg["price"]) <= max(Decimal(r[2]) for r in rows)


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/v3/ticker/price", {"symbol": "NOPEUSDT"}, -1121),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7m"}, -1120),
        ("/api/v3/klines", {"symbol": "BTCUSDT"}, -1102),
        ("/api/v3/depth", {}, -1102),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "ten"}, -1100),
        ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": "1001"}, -1130),
        ("/api/v3/ticker/24hr", {"symbols": "BTCUSDT"}, -1100),
    ],
)
async def test_bad_request_answers_400_with_binance_error_code(
    paper: Any, path: str, params: dict[str, str], code: int
) -> None:
    response = await get(paper, path, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and isinstance(body["msg"], str) and body["msg"]


async def test_ops_endpoints_answer(paper: Any) -> None:
    assert (await get(paper, "/healthz")).json()["status"] == "ok"
    assert (await get(paper, "/readyz")).json()["ready"] is True
    metrics = (await get(paper, "/metrics")).text
    assert "paper_trades_total" in metrics and "paper_rest_requests_total" in metrics
