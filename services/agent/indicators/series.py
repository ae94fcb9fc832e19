"""Indicators over whole arrays: one float64 value per input candle, NaN while warming up.

Outputs align with their input (index ``i`` is the value once candle ``i`` has closed), so a
backtester can compare them column by column. Conventions, chosen to match TA-Lib and the
StockCharts worked examples where those agree:

* EMA is seeded with the simple average of its first ``period`` values; the first EMA is at
  index ``period - 1``. (Seeding with the first value instead makes early values differ.)
* RSI and ATR use Wilder's smoothing (``alpha = 1 / period``), seeded with the simple average
  of the first ``period`` gains/losses or true ranges. A window with neither gains nor losses
  has RSI 50: a dead market is neither overbought nor oversold, and "RSI < 30" must not fire.
* Bollinger bands use the population standard deviation (divide by ``period``), as Bollinger
  defines them.
* The first true range is ``high - low`` (no previous close), so ATR starts at ``period - 1``.

Recursive smoothing (EMA, RSI, ATR) is a linear recurrence, solved block by block with
cumulative sums (see ``_smooth``): about 20 times faster than a Python loop over a million
values, and equal to the one-at-a-time recurrence of ``incremental`` up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from services.agent.indicators.params import check_multiplier, check_period
from services.agent.indicators.types import FloatArray, IndexArray

ArrayLike = FloatArray | Sequence[float]

MAX_SCAN_BLOCK = 1024
"""Longest block of the smoothing scan; longer ones only waste padding."""

SCAN_EXPONENT_BUDGET = 230.0
"""``ln(1e100)``: the scan's block is short enough that ``(1 - alpha) ** -block`` stays below it."""

WINDOW_CHUNK_ELEMENTS = 1 << 20
"""Elements per block of sliding windows in ``bollinger``: bounds its temporary memory (8 MiB)."""


class MacdSeries(NamedTuple):
    macd: FloatArray
    signal: FloatArray
    histogram: FloatArray


class BollingerSeries(NamedTuple):
    middle: FloatArray
    upper: FloatArray
    lower: FloatArray


def as_series(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a contiguous 1-D float64 array; refuse NaN and infinities.

    A NaN inside the input would silently poison every later value of a recursive indicator.
    """
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D series of {name}, had shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"expected finite {name}, found NaN or infinity")
    return array


def _nan(length: int) -> FloatArray:
    return np.full(length, np.nan, dtype=np.float64)


def _smooth(values: FloatArray, start: int, seed: float, alpha: float) -> FloatArray:
    """Return ``y`` with ``y[start] = seed`` and ``y[i] = y[i-1] + alpha * (x[i] - y[i-1])`` after.

    Entries before ``start`` are NaN. The recurrence is solved in blocks of ``B`` values with
    decay ``w = 1 - alpha``: inside a block ``y[j] = w**j * (y[0] + alpha * sum(x[k] / w**k))``,
    a cumulative sum numpy does at once for every block; only the ``n / B`` block ends are
    chained in Python. ``B`` keeps ``w**-B`` below 1e100, far from overflow. The result differs
    from the one-at-a-time recurrence by rounding only (about 1e-15 of the values' scale).
    """
    out = _nan(values.shape[0])
    if start >= values.shape[0]:
        return out
    out[start] = seed
    tail = values[start + 1 :]
    count = tail.shape[0]
    if count == 0:
        return out
    decay = 1.0 - alpha
    if decay <= 0.0:
        out[start + 1 :] = tail
        return out
    block = int(min(MAX_SCAN_BLOCK, max(1, math.floor(SCAN_EXPONENT_BUDGET / -math.log(decay)))))
    rows = -(-count // block)
    grid = np.zeros(rows * block, dtype=np.float64)
    grid[:count] = tail
    powers = decay ** np.arange(1, block + 1, dtype=np.float64)
    local = np.cumsum(grid.reshape(rows, block) * (alpha / powers), axis=1)
    local *= powers
    level, carry, entering = seed, float(powers[-1]), [seed]
    for end in local[:-1, -1].tolist():
        level = carry * level + end
        entering.append(level)
    local += np.asarray(entering)[:, None] * powers
    out[start + 1 :] = local.ravel()[:count]
    return out


def seed_mean(values: FloatArray | Sequence[float]) -> float:
    """The exactly rounded mean used to seed every smoothing, in arrays and streams alike."""
    return math.fsum(values) / len(values)


def sma(values: ArrayLike, period: int) -> FloatArray:
    """Simple moving average of the last ``period`` values, from cumulative sums (O(n)).

    The sums run over ``values - values[0]``, which keeps them small for price series; the
    rounding error stays far below 1e-9 relative on millions of values.
    """
    check_period(period)
    x = as_series(values)
    out = _nan(x.shape[0])
    if x.shape[0] < period:
        return out
    shift = x[0]
    sums = np.concatenate(([0.0], np.cumsum(x - shift)))
    out[period - 1 :] = (sums[period:] - sums[:-period]) / period + shift
    return out


def ema(values: ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, ``alpha = 2 / (period + 1)``, seeded with the first SMA."""
    check_period(period)
    x = as_series(values)
    if x.shape[0] < period:
        return _nan(x.shape[0])
    return _smooth(x, period - 1, seed_mean(x[:period]), 2.0 / (period + 1))


def gains_losses(closes: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Upward and downward moves between consecutive closes, both non-negative."""
    change = np.diff(closes)
    return np.maximum(change, 0.0), np.maximum(-change, 0.0)


def rsi_from_averages(gain: FloatArray, loss: FloatArray) -> FloatArray:
    """``100 - 100 / (1 + gain / loss)``, written so that no loss gives 100 and no move gives 50."""
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, 100.0 * gain / total, 50.0)


def rsi(closes: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder's relative strength index; the first value is at index ``period``.

    It needs ``period`` changes, hence ``period + 1`` closes.
    """
    check_period(period)
    x = as_series(closes, "closes")
    out = _nan(x.shape[0])
    if x.shape[0] <= period:
        return out
    gains, losses = gains_losses(x)
    alpha = 1.0 / period
    gain = _smooth(gains, period - 1, seed_mean(gains[:period]), alpha)
    loss = _smooth(losses, period - 1, seed_mean(losses[:period]), alpha)
    out[period:] = rsi_from_averages(gain[period - 1 :], loss[period - 1 :])
    return out


def macd(closes: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9) -> MacdSeries:
    """MACD line ``EMA(fast) - EMA(slow)``, its EMA ``signal`` and their difference.

    The line starts at index ``slow - 1``; the signal, an EMA of the line seeded with the SMA of
    its first ``signal`` values, and the histogram start at ``slow + signal - 2``.
    """
    check_period(fast, "fast")
    check_period(slow, "slow")
    check_period(signal, "signal")
    if fast >= slow:
        raise ValueError(f"expected fast < slow, was fast={fast}, slow={slow}")
    x = as_series(closes, "closes")
    line = ema(x, fast) - ema(x, slow)
    signal_line = _nan(x.shape[0])
    start = slow - 1
    if x.shape[0] - start >= signal:
        defined = line[start:]
        signal_line[start:] = _smooth(defined, signal - 1, seed_mean(defined[:signal]), 2.0 / (signal + 1))
    return MacdSeries(line, signal_line, line - signal_line)


def bollinger(closes: ArrayLike, period: int = 20, k: float = 2.0) -> BollingerSeries:
    """Bollinger bands: the SMA and ``k`` population standard deviations either side.

    The deviation is computed in two passes over each window (never as ``E[x²] - E[x]²``, which
    loses every digit on prices near 30 000 with a spread of a few dollars), in blocks so the
    windows never occupy more than a few MiB. Cost: O(n * period).
    """
    check_period(period)
    check_multiplier(k)
    x = as_series(closes, "closes")
    middle = sma(x, period)
    deviation = _nan(x.shape[0])
    if x.shape[0] >= period:
        windows = sliding_window_view(x, period)
        means = middle[period - 1 :]
        spread = deviation[period - 1 :]
        rows = max(1, WINDOW_CHUNK_ELEMENTS // period)
        for begin in range(0, windows.shape[0], rows):
            block = windows[begin : begin + rows] - means[begin : begin + rows, None]
            spread[begin : begin + rows] = np.sqrt(np.einsum("ij,ij->i", block, block) / period)
    width = k * deviation
    return BollingerSeries(middle, middle + width, middle - width)


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """The largest of ``high - low`` and the gaps from the previous close; the first is ``high - low``."""
    ranges = high - low
    if ranges.shape[0] > 1:
        previous = close[:-1]
        gaps = np.maximum(np.abs(high[1:] - previous), np.abs(low[1:] - previous))
        ranges[1:] = np.maximum(ranges[1:], gaps)
    return ranges


def _same_length(**series: FloatArray) -> None:
    lengths = {name: array.shape[0] for name, array in series.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"expected series of one length, had {lengths}")


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Average true range: Wilder's smoothing of the true range, first value at ``period - 1``."""
    check_period(period)
    h, lo, c = as_series(high, "highs"), as_series(low, "lows"), as_series(close, "closes")
    _same_length(high=h, low=lo, close=c)
    if h.shape[0] < period:
        return _nan(h.shape[0])
    ranges = true_range(h, lo, c)
    return _smooth(ranges, period - 1, seed_mean(ranges[:period]), 1.0 / period)


def typical_price(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    return (high + low + close) / 3.0


def vwap(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    resets: Sequence[int] | IndexArray | None = None,
) -> FloatArray:
    """Volume-weighted average of the typical price ``(h + l + c) / 3``, accumulated since the anchor.

    ``resets`` lists the indices where a new session starts (index 0 always does); see
    ``candles.session_starts``. Until a session has traded any volume its VWAP is NaN: there
    is no average price of nothing.
    """
    h, lo, c = as_series(high, "highs"), as_series(low, "lows"), as_series(close, "closes")
    v = as_series(volume, "volumes")
    _same_length(high=h, low=lo, close=c, volume=v)
    if (v < 0).any():
        raise ValueError("expected non-negative volumes")
    starts = np.zeros(h.shape[0], dtype=bool)
    if resets is not None:
        indices = np.asarray(resets, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= max(h.shape[0], 1)):
            raise ValueError(f"expected reset indices within 0..{h.shape[0] - 1}")
        starts[indices] = True
    if h.shape[0]:
        starts[0] = True
    session = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    weighted = np.cumsum(typical_price(h, lo, c) * v)
    volumes = np.cumsum(v)
    before_weighted = np.concatenate(([0.0], weighted))[first][session]
    before_volumes = np.concatenate(([0.0], volumes))[first][session]
    traded = volumes - before_volumes
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(traded > 0.0, (weighted - before_weighted) / traded, np.nan)


__all__ = [
    "BollingerSeries",
    "MacdSeries",
    "as_series",
    "atr",
    "bollinger",
    "ema",
    "macd",
    "rsi",
    "sma",
    "true_range",
    "typical_price",
    "vwap",
]
