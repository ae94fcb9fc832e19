"""Candles with Decimal prices become float64 arrays once, before any indicator reads them.

Why float64 when money is Decimal everywhere else: indicators are analytics, not amounts. Their
answers are compared with thresholds ("RSI below 30") and recomputed over millions of candles
by the backtester, where numpy's float64 is some hundred times faster than Decimal; 15-16
significant digits are far finer than any price a venue quotes. Order prices and quantities
never pass through here and stay Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.agent.indicators.incremental import Bar
from services.agent.indicators.types import FloatArray, IndexArray
from shared.messages.base import to_ms
from shared.messages.market import Candle

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class CandleArrays:
    """One column per field, oldest candle first, all of one length."""

    open_time_ms: IndexArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.close.shape[0])

    def bar(self, index: int) -> Bar:
        """Candle ``index`` as a ``Bar``, to feed the streaming states."""
        return Bar(
            float(self.high[index]),
            float(self.low[index]),
            float(self.close[index]),
            float(self.volume[index]),
            int(self.open_time_ms[index]),
        )


def candle_arrays(candles: Sequence[Candle]) -> CandleArrays:
    """Return the columns of ``candles``: one market and interval, strictly increasing open times.

    ``float(Decimal)`` rounds correctly to the nearest float64.
    """
    if candles:
        first = candles[0]
        key = (first.venue, first.symbol, first.interval)
        for candle in candles:
            if (candle.venue, candle.symbol, candle.interval) != key:
                raise ValueError(
                    f"expected candles of one market and interval {key}, found "
                    f"{(candle.venue, candle.symbol, candle.interval)}"
                )
    times = np.array([to_ms(c.open_time) for c in candles], dtype=np.int64)
    if times.size > 1 and (np.diff(times) <= 0).any():
        raise ValueError("expected candles in strictly increasing open_time order")

    def column(name: str) -> FloatArray:
        return np.array([float(getattr(c, name)) for c in candles], dtype=np.float64)

    return CandleArrays(
        times, column("open"), column("high"), column("low"), column("close"), column("volume")
    )


def session_starts(open_time_ms: IndexArray, session_ms: int = DAY_MS) -> IndexArray:
    """Indices of the first candle of each UTC session (a day by default), for ``series.vwap``."""
    if session_ms < 1:
        raise ValueError(f"expected session_ms >= 1, was {session_ms}")
    if open_time_ms.size == 0:
        return np.zeros(0, dtype=np.int64)
    session = open_time_ms // session_ms
    changed = np.flatnonzero(session[1:] != session[:-1]) + 1
    return np.concatenate(([0], changed)).astype(np.int64)


__all__ = ["DAY_MS", "CandleArrays", "candle_arrays", "session_starts"]
