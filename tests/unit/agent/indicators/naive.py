"""Deliberately naive indicators in pure Python, written from the textbook definitions.

A different code path from ``series`` (no numpy, no block scan, Wilder's ``(prev * (n - 1) + x) / n``
form, ``statistics.pstdev``), so agreement between the two is evidence, not tautology.
"""

from __future__ import annotations

import itertools
import math
import statistics

NAN = math.nan


def sma(values: list[float], period: int) -> list[float]:
    return [
        NAN if i + 1 < period else sum(values[i + 1 - period : i + 1]) / period for i in range(len(values))
    ]


def ema(values: list[float], period: int) -> list[float]:
    out = [NAN] * len(values)
    if len(values) < period:
        return out
    alpha = 2 / (period + 1)
    out[period - 1] = sum(values[:period]) / period
    for i in range(period, len(values)):
        out[i] = values[i] * alpha + out[i - 1] * (1 - alpha)
    return out


def wilder(values: list[float], period: int) -> list[float]:
    out = [NAN] * len(values)
    if len(values) < period:
        return out
    out[period - 1] = sum(values[:period]) / period
    for i in range(period, len(values)):
        out[i] = (out[i - 1] * (period - 1) + values[i]) / period
    return out


def rsi(closes: list[float], period: int) -> list[float]:
    changes = [b - a for a, b in itertools.pairwise(closes)]
    gains = wilder([max(c, 0.0) for c in changes], period)
    losses = wilder([max(-c, 0.0) for c in changes], period)
    out = [NAN]
    for gain, loss in zip(gains, losses, strict=True):
        if math.isnan(gain):
            out.append(NAN)
        elif loss == 0:
            out.append(50.0 if gain == 0 else 100.0)
        else:
            out.append(100 - 100 / (1 + gain / loss))
    return out[: len(closes)]


def macd(closes: list[float], fast: int, slow: int, signal: int) -> tuple[list[float], ...]:
    line = [f - s for f, s in zip(ema(closes, fast), ema(closes, slow), strict=True)]
    defined = line[slow - 1 :]
    signal_line = [NAN] * (slow - 1) + ema(defined, signal) if defined else [NAN] * len(closes)
    return line, signal_line, [m - s for m, s in zip(line, signal_line, strict=True)]


def bollinger(closes: list[float], period: int, k: float) -> tuple[list[float], ...]:
    middle, upper, lower = [], [], []
    for i in range(len(closes)):
        if i + 1 < period:
            middle.append(NAN)
            upper.append(NAN)
            lower.append(NAN)
            continue
        window = closes[i + 1 - period : i + 1]
        mean = statistics.fmean(window)
        spread = statistics.pstdev(window)
        middle.append(mean)
        upper.append(mean + k * spread)
        lower.append(mean - k * spread)
    return middle, upper, lower


def atr(high: list[float], low: list[float], close: list[float], period: int) -> list[float]:
    ranges = [high[0] - low[0]] + [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        for i in range(1, len(high))
    ]
    return wilder(ranges, period)


def vwap(
    high: list[float], low: list[float], close: list[float], volume: list[float], resets: set[int]
) -> list[float]:
    out = []
    weighted = traded = 0.0
    for i in range(len(high)):
        if i in resets:
            weighted = traded = 0.0
        weighted += (high[i] + low[i] + close[i]) / 3 * volume[i]
        traded += volume[i]
        out.append(weighted / traded if traded > 0 else NAN)
    return out
