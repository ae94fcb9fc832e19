"""What the offline parser makes of each phrasing: the exact JSON the chat and the rules engine get."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.agent.parser import command_to_json, parse_command


def parsed(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(command_to_json(parse_command(text)))
    return result


def order(
    side: str,
    symbol: str = "BTC/USDT",
    amount: str | None = None,
    quote: str | None = None,
    price: str | None = None,
    conditions: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    return {
        "kind": "conditional_order" if conditions else "order",
        "side": side,
        "symbol": symbol,
        "order_type": "limit" if price else "market",
        "amount": amount,
        "quote_amount": quote,
        "limit_price": price,
        "conditions": list(conditions),
    }


def series(
    indicator: str, period: int | None = None, interval: str | None = None, symbol: str = "BTC/USDT"
) -> dict[str, Any]:
    return {"indicator": indicator, "symbol": symbol, "period": period, "interval": interval}


def cond(
    indicator: str,
    op: str,
    value: Any = None,
    period: int | None = None,
    interval: str | None = None,
    symbol: str = "BTC/USDT",
) -> dict[str, Any]:
    return {**series(indicator, period, interval, symbol), "op": op, "value": value}


def price(op: str, value: str, symbol: str = "BTC/USDT") -> dict[str, Any]:
    return cond("price", op, value, symbol=symbol)


# the product's headline examples and every phrase the issue quotes


def test_buy_half_a_btc_if_it_dips_below_30k() -> None:
    assert parsed("Buy 0.5 BTC if it dips below $30,000") == order(
        "buy", amount="0.5", conditions=(price("<", "30000"),)
    )


def test_check_the_10_day_ma_and_buy_if_it_is_rising_and_rsi_is_low() -> None:
    assert parsed("check the 10-day MA; if it is rising and RSI < 30, buy 0.2 BTC") == order(
        "buy",
        amount="0.2",
        conditions=(cond("sma", "rising", period=10, interval="1d"), cond("rsi", "<", "30", 14, "1d")),
    )


ISSUE_EXAMPLES = [
    ("buy $100 of BTC", order("buy", quote="100")),
    ("buy 1.5k USDT worth of ETH", order("buy", "ETH/USDT", quote="1500")),
    ("limit buy 0.25 btc at 27,500", order("buy", amount="0.25", price="27500")),
    ("buy 1 btc if it dips below $30,000", order("buy", amount="1", conditions=(price("<", "30000"),))),
    ("sell 1 btc when it rises above 29k", order("sell", amount="1", conditions=(price(">", "29000"),))),
    (
        "buy 0.1 btc if RSI(14) on the 1h chart drops below 30",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "30", 14, "1h"),)),
    ),
    (
        "buy 0.1 btc if the 10-day MA is rising and RSI < 30",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("sma", "rising", None, 10, "1d"), cond("rsi", "<", "30", 14, "1d")),
        ),
    ),
    (
        "sell 1 btc when the 50 EMA crosses below the 200 EMA",
        order(
            "sell", amount="1", conditions=(cond("ema", "crosses_below", series("ema", 200, "1d"), 50, "1d"),)
        ),
    ),
    ("cancel my BTC orders", {"kind": "cancel", "scope": "symbol", "symbol": "BTC/USDT", "order_id": None}),
    ("cancel all orders", {"kind": "cancel", "scope": "all", "symbol": None, "order_id": None}),
    (
        "cancel order cp-0123abcd",
        {"kind": "cancel", "scope": "order", "symbol": None, "order_id": "cp-0123abcd"},
    ),
    ("what's the price of BTC?", {"kind": "query", "topic": "price", "symbol": "BTC/USDT"}),
    ("price of eth", {"kind": "query", "topic": "price", "symbol": "ETH/USDT"}),
    ("how is SOL doing", {"kind": "query", "topic": "price", "symbol": "SOL/USDT"}),
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_EXAMPLES, ids=[t for t, _ in ISSUE_EXAMPLES])
def test_the_issue_examples(text: str, expected: dict[str, Any]) -> None:
    assert parsed(text) == expected


PHRASINGS = [
    # amounts in the base asset, any case and punctuation
    ("BUY 0.5 BTC.", order("buy", amount="0.5")),
    ("buy 0.5 btc!", order("buy", amount="0.5")),
    ("Buy 0.5 Bitcoin", order("buy", amount="0.5")),
    ("buy 0.5btc", order("buy", amount="0.5")),
    ("sell 2 ether", order("sell", "ETH/USDT", amount="2")),
    ("sell 3 solana", order("sell", "SOL/USDT", amount="3")),
    ("buy 10 bnb", order("buy", "BNB/USDT", amount="10")),
    ("buy 0.01 BTC/USDT", order("buy", amount="0.01")),
    ("buy 0.01 btcusdt", order("buy", amount="0.01")),
    ("buy 1 ethbtc", order("buy", "ETH/BTC", amount="1")),
    ("buy 1,000 xrp", order("buy", "XRP/USDT", amount="1000")),
    ("please buy 0.1 btc now", order("buy", amount="0.1")),
    ("market sell 0.1 btc", order("sell", amount="0.1")),
    ("buy 0.1 btc at market", order("buy", amount="0.1")),
    ("buy 0.1 btc at market price", order("buy", amount="0.1")),
    ("buy 0.1 btc at the market", order("buy", amount="0.1")),
    # amounts to spend, in the quote
    ("buy 100 USDT of btc", order("buy", quote="100")),
    ("buy $100 worth of bitcoin", order("buy", quote="100")),
    ("buy $ 100 of btc", order("buy", quote="100")),
    ("buy 100$ of btc", order("buy", quote="100")),
    ("buy 100 usd of btc", order("buy", quote="100")),
    ("buy 100 dollars of btc", order("buy", quote="100")),
    ("buy $1.5k of eth", order("buy", "ETH/USDT", quote="1500")),
    ("buy 250 usdc of sol", order("buy", "SOL/USDC", quote="250")),
    ("sell $50 of eth", order("sell", "ETH/USDT", quote="50")),
    ("buy btc for 100 usdt", order("buy", quote="100")),
    ("buy btc for $100", order("buy", quote="100")),
    ("buy btc with $1,000", order("buy", quote="1000")),
    ("buy btc/usdc for 100 usdc", order("buy", "BTC/USDC", quote="100")),
    ("buy 0.05 btc worth of eth", order("buy", "ETH/BTC", quote="0.05")),
    # limit orders
    ("limit sell 1 eth at 2k", order("sell", "ETH/USDT", amount="1", price="2000")),
    ("sell 3 solana at 150", order("sell", "SOL/USDT", amount="3", price="150")),
    ("buy 2 bnb @ 300", order("buy", "BNB/USDT", amount="2", price="300")),
    ("buy 0.25 btc limit 27500", order("buy", amount="0.25", price="27500")),
    ("buy 0.25 btc at $27,500.50", order("buy", amount="0.25", price="27500.5")),
    ("buy 1 eth at 2,000 usdt each", order("buy", "ETH/USDT", amount="1", price="2000")),
    ("buy 1 eth at 2000 per eth", order("buy", "ETH/USDT", amount="1", price="2000")),
    ("buy 1 eth at a price of 2000", order("buy", "ETH/USDT", amount="1", price="2000")),
    # price triggers: if / when / once / as soon as, level words, to-levels
    ("when it rises above 29k, sell 1 btc", order("sell", amount="1", conditions=(price(">", "29000"),))),
    ("if btc dips below 30k buy 0.1 btc", order("buy", amount="0.1", conditions=(price("<", "30000"),))),
    (
        "buy 1 eth once it drops to 1,800",
        order("buy", "ETH/USDT", "1", conditions=(price("<=", "1800", "ETH/USDT"),)),
    ),
    (
        "sell 1 eth once it climbs to 2.5k",
        order("sell", "ETH/USDT", "1", conditions=(price(">=", "2500", "ETH/USDT"),)),
    ),
    (
        "buy 1 eth as soon as eth falls under 1.8k",
        order("buy", "ETH/USDT", "1", conditions=(price("<", "1800", "ETH/USDT"),)),
    ),
    (
        "buy 0.1 btc if the price is at or below 28000",
        order("buy", amount="0.1", conditions=(price("<=", "28000"),)),
    ),
    (
        "buy 0.1 btc if price >= 30000 and price <= 31000",
        order("buy", amount="0.1", conditions=(price(">=", "30000"), price("<=", "31000"))),
    ),
    (
        "buy 0.1 btc when the price is less than 25,000",
        order("buy", amount="0.1", conditions=(price("<", "25000"),)),
    ),
    (
        "buy 0.1 btc when price crosses above 30k",
        order("buy", amount="0.1", conditions=(price("crosses_above", "30000"),)),
    ),
    ("buy 1 eth if btc dips below 30k", order("buy", "ETH/USDT", "1", conditions=(price("<", "30000"),))),
    (
        "limit buy 0.1 btc at 29,000 if it drops below 29.5k",
        order("buy", amount="0.1", price="29000", conditions=(price("<", "29500"),)),
    ),
    # indicators: periods, charts, crosses, directions
    (
        "buy 0.1 btc when the 1h RSI crosses above 30",
        order("buy", amount="0.1", conditions=(cond("rsi", "crosses_above", "30", 14, "1h"),)),
    ),
    (
        "sell 1 eth if rsi > 70 on the 4h chart",
        order("sell", "ETH/USDT", "1", conditions=(cond("rsi", ">", "70", 14, "4h", "ETH/USDT"),)),
    ),
    (
        "buy 0.1 btc if rsi is under 30 on the 15m chart",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "30", 14, "15m"),)),
    ),
    (
        "buy 0.1 btc when the daily RSI is at or below 25",
        order("buy", amount="0.1", conditions=(cond("rsi", "<=", "25", 14, "1d"),)),
    ),
    (
        "buy 0.1 btc if the 14-day rsi < 30",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "30", 14, "1d"),)),
    ),
    (
        "buy 0.1 btc if rsi(7) on the 4-hour chart < 20",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "20", 7, "4h"),)),
    ),
    (
        "buy 0.1 btc if ema50 crosses above ema200",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("ema", "crosses_above", series("ema", 200, "1d"), 50, "1d"),),
        ),
    ),
    (
        "buy 0.1 btc if the 50-day SMA crosses over the 200-day SMA",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("sma", "crosses_above", series("sma", 200, "1d"), 50, "1d"),),
        ),
    ),
    (
        "buy 0.1 btc if the 20 period moving average is falling",
        order("buy", amount="0.1", conditions=(cond("sma", "falling", None, 20, "1d"),)),
    ),
    (
        "buy 0.1 btc if the 20 EMA is rising on the hourly chart",
        order("buy", amount="0.1", conditions=(cond("ema", "rising", None, 20, "1h"),)),
    ),
    (
        "sell 0.5 btc when price crosses below the 200-day MA",
        order("sell", amount="0.5", conditions=(cond("price", "crosses_below", series("sma", 200, "1d")),)),
    ),
    (
        "buy 0.1 btc if macd crosses above the signal line",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("macd", "crosses_above", series("macd_signal", None, "1d"), None, "1d"),),
        ),
    ),
    (
        "buy 0.1 btc if the macd is above zero",
        order("buy", amount="0.1", conditions=(cond("macd", ">", "0", None, "1d"),)),
    ),
    (
        "buy 0.1 btc if rsi <= 30 and it is rising",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("rsi", "<=", "30", 14, "1d"), cond("rsi", "rising", None, 14, "1d")),
        ),
    ),
    ("buy 0.1 btc if it is falling", order("buy", amount="0.1", conditions=(cond("price", "falling"),))),
    ("buy 0.1 btc if it rises", order("buy", amount="0.1", conditions=(cond("price", "rising"),))),
    (
        "buy 0.1 btc if RSI(14) on the 1h chart < 30 and the 20 EMA is rising",
        order(
            "buy",
            amount="0.1",
            conditions=(cond("rsi", "<", "30", 14, "1h"), cond("ema", "rising", None, 20, "1h")),
        ),
    ),
    (
        "if rsi < 30, and the price is above 25k, buy 0.1 btc",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "30", 14, "1d"), price(">", "25000"))),
    ),
    (
        "watch the 1h chart; if rsi < 30 then buy 0.1 btc",
        order("buy", amount="0.1", conditions=(cond("rsi", "<", "30", 14, "1h"),)),
    ),
    # cancel and questions
    ("Cancel all my open orders.", {"kind": "cancel", "scope": "all", "symbol": None, "order_id": None}),
    ("cancel everything", {"kind": "cancel", "scope": "all", "symbol": None, "order_id": None}),
    ("cancel all eth orders", {"kind": "cancel", "scope": "symbol", "symbol": "ETH/USDT", "order_id": None}),
    (
        "cancel my btc/usdc orders",
        {"kind": "cancel", "scope": "symbol", "symbol": "BTC/USDC", "order_id": None},
    ),
    ("btc price?", {"kind": "query", "topic": "price", "symbol": "BTC/USDT"}),
    ("how much is bitcoin", {"kind": "query", "topic": "price", "symbol": "BTC/USDT"}),
    ("what is eth/btc trading at", {"kind": "query", "topic": "price", "symbol": "ETH/BTC"}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[t for t, _ in PHRASINGS])
def test_phrasings(text: str, expected: dict[str, Any]) -> None:
    assert parsed(text) == expected
