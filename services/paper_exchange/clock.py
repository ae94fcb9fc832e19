"""Simulated time: ``speed`` simulated seconds pass per wall-clock second.

At start the simulated clock reads the wall clock, so at speed 1 market timestamps are real
times; at higher speeds they run ahead. ``/api/v3/time`` keeps answering the wall clock, because
clients sign requests with theirs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MINUTE_MS = 60_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class SimClock:
    """Maps a monotonic wall clock onto simulated epoch milliseconds."""

    def __init__(
        self,
        speed: float,
        start_ms: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"expected a speed > 0, was {speed}")
        self.speed = speed
        self.start_ms = start_ms
        self._monotonic = monotonic
        self._origin = monotonic()

    def now_ms(self) -> int:
        return self.start_ms + int((self._monotonic() - self._origin) * 1000 * self.speed)


def minute_floor(ms: int) -> int:
    return ms - ms % MINUTE_MS
