"""One symbol's candle sequence: the replay file's rows first (if any), then a random walk.

When a replay file runs out, the walk continues from its last close, so the market never stops
and never jumps.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.paper_exchange.markets import SymbolSpec
from services.paper_exchange.numbers import quantize
from services.paper_exchange.prices.candle import SourceCandle
from services.paper_exchange.prices.random_walk import RandomWalk


class CandleSource:
    """Hands out candles one minute at a time."""

    def __init__(self, spec: SymbolSpec, seed: int, replay: Sequence[SourceCandle] = ()) -> None:
        self._spec = spec
        self._seed = seed
        self._replay = [self._on_ticks(c) for c in replay]
        self._index = 0
        self._walk: RandomWalk | None = None if self._replay else RandomWalk(spec, seed)

    @property
    def replayed(self) -> int:
        """How many candles came from the replay file so far."""
        return min(self._index, len(self._replay))

    def _on_ticks(self, candle: SourceCandle) -> SourceCandle:
        # File prices finer than the tick are rounded; volumes stay exact (trades split them).
        tick = self._spec.tick_size
        return SourceCandle(
            open=quantize(candle.open, tick),
            high=quantize(candle.high, tick),
            low=quantize(candle.low, tick),
            close=quantize(candle.close, tick),
            volume=candle.volume,
        )

    def next_candle(self) -> SourceCandle:
        if self._index < len(self._replay):
            candle = self._replay[self._index]
            self._index += 1
            return candle
        if self._walk is None:
            self._walk = RandomWalk(self._spec, self._seed, start_price=self._replay[-1].close)
        return self._walk.next_candle()
