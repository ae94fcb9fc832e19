"""Latency figures: percentiles of observed round trips, a closed loop that keeps k in flight, and
how a table shows them."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

RoundTrip = Callable[[int], Awaitable[float]]
"""Run round trip number ``i`` and return how long it took, in seconds."""


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile: a value that was actually observed, never interpolated.

    With 100 samples the 99th percentile is the 99th smallest, so one slow outlier in a hundred
    does not hide; interpolation would report a time nothing took.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0 < q <= 100:
        raise ValueError(f"q must be in (0, 100], was {q}")
    ordered = sorted(samples)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Latency:
    """p50 and p99 of ``count`` round trips, in milliseconds, and the rate they completed at."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    per_s: float

    @classmethod
    def of(cls, samples_s: Sequence[float], elapsed_s: float) -> Latency:
        """Summarise round trips measured in seconds that took ``elapsed_s`` of wall time together."""
        return cls(
            count=len(samples_s),
            p50_ms=percentile(samples_s, 50) * 1000,
            p99_ms=percentile(samples_s, 99) * 1000,
            max_ms=max(samples_s) * 1000,
            per_s=len(samples_s) / elapsed_s if elapsed_s > 0 else 0.0,
        )


def ms(value: float) -> str:
    """Milliseconds for a table: two decimals under 10 (sub-millisecond floors), one under 100, none above."""
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def pair(latency: Latency) -> str:
    """``p50 / p99`` in milliseconds."""
    return f"{ms(latency.p50_ms)} / {ms(latency.p99_ms)}"


async def closed_loop(round_trip: RoundTrip, *, in_flight: int, count: int) -> Latency:
    """Run ``count`` round trips with ``in_flight`` outstanding at every moment.

    Each of ``in_flight`` workers starts its next round trip as soon as its last one returns, so
    the load is what the system under test can absorb at that concurrency (a closed loop), not an
    offered rate it may fall behind.
    """
    if in_flight < 1 or count < 1:
        raise ValueError(f"in_flight and count must be positive, were {in_flight} and {count}")
    samples: list[float] = []
    numbers = iter(range(count))

    async def worker() -> None:
        for number in numbers:  # shared iterator: each number is taken by exactly one worker
            samples.append(await round_trip(number))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(in_flight, count))))
    return Latency.of(samples, time.perf_counter() - started)


def timed(call: Callable[[], Awaitable[object]]) -> RoundTrip:
    """A round trip that times ``call()`` around its await."""

    async def round_trip(_: int) -> float:
        started = time.perf_counter()
        await call()
        return time.perf_counter() - started

    return round_trip
