"""ccxt's real, unmodified binance class, built by ``create_binance``, against the paper exchange."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.exchange.binance import create_binance

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def client(paper: Any) -> AsyncIterator[Any]:
    exchange = create_binance(venue="paper", paper_url=paper.http)
    yield exchange
    await exchange.close()


async def test_load_markets_lists_spot_symbols_with_binance_filters(client: Any) -> None:
    markets = await client.load_markets()
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"} <= set(markets)
    btc = markets["BTC/USDT"]
    assert btc["spot"] is True and btc["active"] is True
    assert btc["precision"]["price"] == 0.01
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0


async def test_fetch_ticker_has_bid_below_ask_and_last_between_low_and_high(client: Any) -> None:
    ticker = await client.fetch_ticker("BTC/USDT")
    assert ticker["bid"] < ticker["ask"]
    assert ticker["low"] <= ticker["last"] <= ticker["high"]
    assert ticker["baseVolume"] > 0


async def test_fetch_tickers_returns_every_listed_symbol(client: Any) -> None:
    tickers = await client.fetch_tickers()
    assert set(tickers) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"}


async def test_fetch_order_book_levels_are_sorted_and_uncrossed(client: Any) -> None:
    book = await client.fetch_order_book("ETH/USDT", limit=10)
    bids = [price for price, _ in book["bids"]]
    asks = [price for price, _ in book["asks"]]
    assert len(bids) == len(asks) == 10
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]


async def test_fetch_ohlcv_returns_consecutive_candles_of_the_interval(client: Any) -> None:
    candles = await client.fetch_ohlcv("BTC/USDT", "5m", limit=10)
    assert len(candles) == 10
    assert all(b[0] - a[0] == 300_000 for a, b in itertools.pairwise(candles))
    assert all(c[3] <= min(c[1], c[4]) <= max(c[1], c[4]) <= c[2] for c in candles)


async def test_fetch_trades_returns_recent_trades_with_increasing_ids(client: Any) -> None:
    trades = await client.fetch_trades("SOL/USDT", limit=20)
    ids = [int(t["id"]) for t in trades]
    assert len(ids) == 20 and ids == sorted(ids) and len(set(ids)) == 20


async def test_watch_trades_streams_new_trades(client: Any) -> None:
    first = await client.watch_trades("BTC/USDT")
    later = await client.watch_trades("BTC/USDT")
    assert first and later
    assert int(later[-1]["id"]) > int(first[0]["id"])


async def test_watch_ticker_streams_the_last_price(client: Any) -> None:
    ticker = await client.watch_ticker("ETH/USDT")
    assert ticker["symbol"] == "ETH/USDT"
    assert ticker["low"] <= ticker["last"] <= ticker["high"]


async def test_watch_ohlcv_streams_the_forming_candle(client: Any) -> None:
    candles = await client.watch_ohlcv("BTC/USDT", "1m")
    open_time, o, h, low, c, _ = candles[-1]
    assert open_time % 60_000 == 0
    assert low <= min(o, c) <= max(o, c) <= h


async def test_watch_order_book_applies_diffs_to_the_snapshot(client: Any) -> None:
    first = await client.watch_order_book("BNB/USDT")
    nonce = first["nonce"]
    for _ in range(5):
        book = await client.watch_order_book("BNB/USDT")
    assert book["nonce"] > nonce
    assert book["bids"][0][0] < book["asks"][0][0]
