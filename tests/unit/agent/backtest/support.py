"""Candle columns and conditions for the backtest tests, written the way a reader checks them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from services.agent.indicators.candles import CandleArrays
from services.agent.parser.model import Condition, Series

SYMBOL = "BTC/USDT"
START_MS = 1_677_628_800_000  # 2023-03-01T00:00Z
MINUTE_MS = 60_000


def arrays(opens: Sequence[float], closes: Sequence[float]) -> CandleArrays:
    """Minute candles with these opens and closes (highs and lows just around them)."""
    o = np.asarray(opens, dtype=np.float64)
    c = np.asarray(closes, dtype=np.float64)
    times = START_MS + MINUTE_MS * np.arange(o.size, dtype=np.int64)
    return CandleArrays(times, o, np.maximum(o, c) + 1, np.minimum(o, c) - 1, c, np.ones_like(c))


def price(op: str, value: str | Series | None = None) -> Condition:
    right = Decimal(value) if isinstance(value, str) else value
    return Condition(indicator="price", symbol=SYMBOL, op=op, value=right)


def indicator(name: str, period: int | None, op: str, value: str | Series | None = None) -> Condition:
    right = Decimal(value) if isinstance(value, str) else value
    return Condition(indicator=name, symbol=SYMBOL, period=period, interval="1m", op=op, value=right)


def series(name: str, period: int | None) -> Series:
    return Series(indicator=name, symbol=SYMBOL, period=period, interval="1m")
