"""Indicator states shared by every rule that reads them: one per chart and distinct ``IndicatorSpec``.

A chart is one market's candles of one interval. It keeps its recent closed candles, so a rule that
brings a new indicator to a chart already followed starts warm (its state replays the history),
and it keeps each indicator's value at the last two closed candles, which is all a level, a cross
or a rising/falling condition reads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from services.agent.indicators.incremental import Bar, BarIndicator
from services.agent.indicators.spec import IndicatorSpec
from services.agent.rules.conditions import Pair, SeriesRef

HISTORY = 1000
"""Closed candles a chart keeps (and loads at start): the longest period a condition may name."""

Values = tuple[float, ...] | None


class Chart:
    __slots__ = ("_history", "_states", "_values", "last_open_ms")

    def __init__(self) -> None:
        self._history: deque[Bar] = deque(maxlen=HISTORY)
        self._states: dict[IndicatorSpec, BarIndicator] = {}
        self._values: dict[IndicatorSpec, tuple[Values, Values]] = {}
        self.last_open_ms: int | None = None

    @property
    def warm(self) -> bool:
        return self.last_open_ms is not None

    def follow(self, spec: IndicatorSpec) -> None:
        """Start computing ``spec`` here (a no-op when some rule already does), from the history."""
        if spec in self._states:
            return
        state = spec.stream()
        before: Values = None
        now: Values = None
        for bar in self._history:
            before, now = now, state.push(bar)
        self._states[spec] = state
        self._values[spec] = (before, now)

    def push(self, bar: Bar) -> bool:
        """Take a closed candle; False (and nothing changes) when it is not newer than the last."""
        if self.last_open_ms is not None and bar.open_time_ms <= self.last_open_ms:
            return False
        self.last_open_ms = bar.open_time_ms
        self._history.append(bar)
        values = self._values
        for spec, state in self._states.items():
            values[spec] = (values[spec][1], state.push(bar))
        return True

    def extend(self, bars: Iterable[Bar]) -> None:
        for bar in bars:
            self.push(bar)

    def value(self, ref: SeriesRef) -> Pair:
        if ref.spec is None:
            history = self._history
            close = history[-1].close if history else None
            return (history[-2].close if len(history) > 1 else None), close
        before, now = self._values[ref.spec]
        return (None if before is None else before[ref.output]), (None if now is None else now[ref.output])


__all__ = ["HISTORY", "Chart"]
