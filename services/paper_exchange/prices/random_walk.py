"""A seeded random walk of 1-minute candles.

Model (integer arithmetic only, so a seed gives the same candles on every machine and at any
wall-clock time): prices live in whole ticks. Each minute the close moves from the open by a
near-normal step (the sum of four uniform draws) scaled to the symbol's per-minute volatility;
the high and low reach beyond the body by half-normal excursions of half that size; the volume
is the symbol's typical volume times a uniform factor in [0.2, 1.8], in whole steps. Each candle
opens at the previous close. Prices never fall below ten ticks.
"""

from __future__ import annotations

import random
from decimal import Decimal

from services.paper_exchange.markets import SymbolSpec
from services.paper_exchange.numbers import quantize
from services.paper_exchange.prices.candle import SourceCandle

_DRAWS = 4
_DRAW_RANGE = 1000
_DRAW_STD = 1155  # standard deviation of the sum of four uniform draws in [-1000, 1000]
_MIN_TICKS = 10


class RandomWalk:
    """An endless, deterministic sequence of candles for one symbol."""

    def __init__(self, spec: SymbolSpec, seed: int, start_price: Decimal | None = None) -> None:
        self._spec = spec
        self._rng = random.Random(f"paper-walk:{seed}:{spec.symbol}")
        start = start_price if start_price is not None else spec.start_price
        self._ticks = max(_MIN_TICKS, int(quantize(start, spec.tick_size) / spec.tick_size))
        self._volume_steps = max(1, int(spec.volume_per_minute / spec.step_size))

    def _normal_ticks(self, scale_ppm: int) -> int:
        draw = sum(self._rng.randint(-_DRAW_RANGE, _DRAW_RANGE) for _ in range(_DRAWS))
        return self._ticks * draw * scale_ppm // (_DRAW_STD * 1_000_000)

    def next_candle(self) -> SourceCandle:
        """Return the next minute's candle."""
        tick = self._spec.tick_size
        open_ticks = self._ticks
        close_ticks = max(_MIN_TICKS, open_ticks + self._normal_ticks(self._spec.volatility_ppm))
        half = self._spec.volatility_ppm // 2
        high_ticks = max(open_ticks, close_ticks) + abs(self._normal_ticks(half))
        low_ticks = max(_MIN_TICKS, min(open_ticks, close_ticks) - abs(self._normal_ticks(half)))
        volume_steps = self._volume_steps * self._rng.randint(200, 1800) // 1000
        self._ticks = close_ticks
        return SourceCandle(
            open=open_ticks * tick,
            high=high_ticks * tick,
            low=low_ticks * tick,
            close=close_ticks * tick,
            volume=max(1, volume_steps) * self._spec.step_size,
        )
