"""A rule's conditions compiled for evaluation, and the refusals of definitions the engine cannot run.

Two kinds, by what moves them:

* ``PriceCondition``: the last trade price against a number (or its own previous trade), evaluated
  on every tick. Thresholds stay ``Decimal`` and are compared with the tick's ``Decimal`` price:
  exact, and a tick compares only the few thresholds its move crossed (see ``index``).
* ``CandleCondition``: anything naming an indicator, evaluated when a candle of its chart closes.
  Indicator values are float64 by design (``indicators.candles``); thresholds are converted to
  float once here, and ``price`` inside such a condition is the closing candle's close.

Crosses (on ticks and on candles alike) hold when the gap to the other side goes from strictly
below to at-or-above (``crosses_above``: ``previous < level <= current``), or from strictly above
to at-or-below (``crosses_below``); without a previous value nothing crosses.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.agent.indicators.spec import IndicatorSpec
from services.agent.parser.model import Condition, Indicator, Op, Series
from shared.domain.intervals import Interval


class RuleDefinitionError(ValueError):
    """A stored or proposed rule the engine cannot run; the message says why, for the user."""


LEVELS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


@dataclass(frozen=True, slots=True)
class PriceCondition:
    """``price <op> threshold`` on one market's ticks; ``threshold`` is None for rising/falling."""

    market: str
    op: Op
    threshold: Decimal | None

    def holds(self, previous: Decimal | None, current: Decimal, ticking: bool) -> bool:
        """``ticking``: this market's tick is being evaluated (crosses and moves hold only then)."""
        op, level = self.op, self.threshold
        if level is None:
            if not ticking or previous is None:
                return False
            return current > previous if op is Op.RISING else current < previous
        compare = LEVELS.get(op)
        if compare is not None:
            return compare(current, level)
        if not ticking or previous is None:
            return False
        if op is Op.CROSSES_ABOVE:
            return previous < level <= current
        return previous > level >= current


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """One series on a chart: an indicator's output, or (``spec`` None) the candle's close."""

    spec: IndicatorSpec | None
    output: int = 0


Pair = tuple[float | None, float | None]
"""A series' value at the candle before and at the last closed candle."""


@dataclass(frozen=True, slots=True)
class CandleCondition:
    market: str
    interval: Interval
    left: SeriesRef
    op: Op
    right: SeriesRef | float | None

    def holds(self, value: Callable[[SeriesRef], Pair]) -> bool:
        before, now = value(self.left)
        if now is None:
            return False
        op, right = self.op, self.right
        if right is None:
            if before is None:
                return False
            return now > before if op is Op.RISING else now < before
        other_before, other_now = value(right) if isinstance(right, SeriesRef) else (right, right)
        if other_now is None:
            return False
        compare = LEVELS.get(op)
        if compare is not None:
            return compare(now, other_now)
        if before is None or other_before is None:
            return False
        if op is Op.CROSSES_ABOVE:
            return before < other_before and now >= other_now
        return before > other_before and now <= other_now


_SPECS: dict[Indicator, tuple[str, int]] = {
    Indicator.SMA: ("sma", 0),
    Indicator.EMA: ("ema", 0),
    Indicator.RSI: ("rsi", 0),
    Indicator.MACD: ("macd", 0),
    Indicator.MACD_SIGNAL: ("macd", 1),
}


def _ref(series: Series) -> SeriesRef:
    if series.indicator is Indicator.PRICE:
        return SeriesRef(None)
    name, output = _SPECS[series.indicator]
    spec = IndicatorSpec.of(name) if series.period is None else IndicatorSpec.of(name, period=series.period)
    return SeriesRef(spec, output)


def market_key(venue: str, symbol: str) -> str:
    """Where a series trades: the engine keeps prices and charts per venue and symbol."""
    return f"{venue}:{symbol}"


def compile_condition(venue: str, condition: Condition) -> PriceCondition | CandleCondition:
    """Return the evaluable form of ``condition``; raise ``RuleDefinitionError`` when it cannot run."""
    value = condition.value
    if isinstance(value, Series) and value.symbol != condition.symbol:
        raise RuleDefinitionError(
            f"a condition compares {condition.symbol} with {value.symbol}: compare series of one symbol"
        )
    market = market_key(venue, condition.symbol)
    intervals = {s.interval for s in (condition, value) if isinstance(s, Series) and s.interval is not None}
    if not intervals:
        threshold = value if isinstance(value, Decimal) or value is None else None
        if isinstance(value, Series):  # price against price of the same symbol: refused by the model
            raise RuleDefinitionError("a price condition needs a number")
        return PriceCondition(market, condition.op, threshold)
    if len(intervals) > 1:
        charts = " and ".join(sorted(intervals))
        raise RuleDefinitionError(f"a condition reads two charts ({charts}): compare series of one chart")
    right: SeriesRef | float | None
    if isinstance(value, Series):
        right = _ref(value)
    elif value is None:
        right = None
    else:
        right = float(value)
    return CandleCondition(market, intervals.pop(), _ref(condition.series()), condition.op, right)


__all__ = [
    "CandleCondition",
    "Pair",
    "PriceCondition",
    "RuleDefinitionError",
    "SeriesRef",
    "compile_condition",
    "market_key",
]
