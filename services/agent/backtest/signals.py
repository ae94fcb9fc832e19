"""Parser conditions evaluated over a whole candle array at once: one boolean per candle.

The semantics are those ``parser.model.Op`` documents, read at each candle's close:

- levels (``< <= > >=``) hold while true;
- ``crosses_above`` holds on the candle where the sign of the gap ``left - right`` flips from
  negative to positive; ``crosses_below`` the other way. A gap of exactly zero keeps the sign it
  had before, so a gap that touches zero and turns back is no cross, and one that rests on zero
  and then goes through crosses once, when it leaves zero (a threshold of 30 000 and a close of
  exactly 30 000.00 is common enough to decide);
- ``rising``/``falling`` compare a candle's value with the previous candle's.

Wherever a value (or, for crosses and directions, the previous value) is still warming up
(NaN), the condition is false: a rule never fires on an indicator it cannot read yet.

Every series is read on the candles given. A condition on another chart interval is refused,
not resampled: a cross or a direction on hourly candles seen from minute candles needs the
rules engine to decide first how long such an event holds, and guessing here would let the
backtest and the live rules disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from services.agent.indicators import series as ind
from services.agent.indicators.candles import CandleArrays
from services.agent.indicators.types import FloatArray
from services.agent.parser.model import Condition, Indicator, Op, Series
from shared.domain.intervals import Interval
from shared.domain.symbols import normalize_symbol

BoolArray: TypeAlias = NDArray[np.bool_]


class UnsupportedCondition(ValueError):
    """A condition the backtest cannot read from the candles given; the message says why."""


def _check_market(part: Series, symbol: str, interval: Interval) -> None:
    if part.symbol != symbol:
        raise UnsupportedCondition(f"the condition reads {part.symbol} but the candles are {symbol}")
    if part.interval is not None and part.interval != interval:
        raise UnsupportedCondition(
            f"{part.indicator} on {part.interval} candles cannot be read from {interval} candles: "
            f"backtest over {part.interval} candles (conditions on another chart are not resampled)"
        )


def series_values(part: Series, candles: CandleArrays) -> FloatArray:
    """The values of one series at each candle's close; the price is the close."""
    close = candles.close
    if part.indicator is Indicator.PRICE:
        return close
    if part.indicator is Indicator.SMA:
        assert part.period is not None  # the model requires it
        return ind.sma(close, part.period)
    if part.indicator is Indicator.EMA:
        assert part.period is not None
        return ind.ema(close, part.period)
    if part.indicator is Indicator.RSI:
        assert part.period is not None
        return ind.rsi(close, part.period)
    macd = ind.macd(close)
    return macd.macd if part.indicator is Indicator.MACD else macd.signal


def _previous(values: FloatArray) -> FloatArray:
    out = np.empty_like(values)
    out[:1] = np.nan
    out[1:] = values[:-1]
    return out


def condition_mask(condition: Condition, left: FloatArray, right: FloatArray | None) -> BoolArray:
    """``condition.op`` applied to a left series and its right-hand side (None for directions).

    Comparisons with NaN are false in IEEE arithmetic, which is exactly the warm-up rule.
    """
    op = condition.op
    if op is Op.RISING:
        return left > _previous(left)
    if op is Op.FALLING:
        return left < _previous(left)
    assert right is not None
    if op is Op.LT:
        return left < right
    if op is Op.LE:
        return left <= right
    if op is Op.GT:
        return left > right
    if op is Op.GE:
        return left >= right
    gap = left - right
    before = _previous(carried_sign(gap))
    if op is Op.CROSSES_ABOVE:
        return (before < 0.0) & (gap > 0.0)
    return (before > 0.0) & (gap < 0.0)


def carried_sign(gap: FloatArray) -> FloatArray:
    """The sign of ``gap`` where it is not zero, else the last one before (0 before any, and at NaN)."""
    sign = np.where(np.isnan(gap), 0.0, np.sign(gap))
    changes = (gap != 0.0) | np.isnan(gap)
    last = np.maximum.accumulate(np.where(changes, np.arange(gap.size), 0))
    carried: FloatArray = sign[last]
    return carried


def evaluate(
    conditions: Sequence[Condition], candles: CandleArrays, symbol: str, interval: Interval
) -> BoolArray:
    """True on each candle whose close satisfies every condition (all of them, as a rule reads).

    ``symbol`` and ``interval`` are the candles'; a condition on another market or chart raises
    ``UnsupportedCondition``. No conditions at all is refused: it would be a signal on every candle.
    """
    if not conditions:
        raise UnsupportedCondition("expected at least one condition")
    market = normalize_symbol(symbol)
    cache: dict[Series, FloatArray] = {}

    def values(part: Series) -> FloatArray:
        key = part.series()
        if key not in cache:
            _check_market(key, market, interval)
            cache[key] = series_values(key, candles)
        return cache[key]

    signal = np.ones(len(candles), dtype=np.bool_)
    for condition in conditions:
        left = values(condition)
        value = condition.value
        if value is None:
            right = None
        elif isinstance(value, Series):
            right = values(value)
        else:
            right = np.full(len(candles), float(value))
        signal &= condition_mask(condition, left, right)
    return signal


__all__ = ["BoolArray", "UnsupportedCondition", "carried_sign", "condition_mask", "evaluate", "series_values"]
