"""Roll closed 1-minute candles up into longer intervals (5m, 1h, 1d, …).

A longer candle is emitted only when every one of its minutes has been seen, so it equals the
venue's own candle; a bucket that misses minutes (the feed started mid-bucket, or lost data) is
reported as incomplete so the caller fetches the venue's candle instead of publishing a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from shared.domain.intervals import Interval
from shared.messages.base import from_ms, to_ms
from shared.messages.market import Candle


@dataclass
class _Bucket:
    open_ms: int
    minutes: dict[int, Candle] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RollupResult:
    """What closing a minute produced: complete candles, and buckets that need the venue's candle."""

    complete: tuple[Candle, ...] = ()
    incomplete_open_ms: tuple[tuple[Interval, int], ...] = ()


class CandleRollup:
    """Per-symbol accumulator of 1m candles for each longer interval."""

    def __init__(self, intervals: tuple[Interval, ...]) -> None:
        if any(i is Interval.M1 for i in intervals):
            raise ValueError("expected only intervals longer than 1m")
        self._intervals = intervals
        self._buckets: dict[Interval, _Bucket] = {}

    def add(self, minute: Candle) -> RollupResult:
        """Take one closed 1m candle; return candles of longer intervals that it completes."""
        if minute.interval is not Interval.M1:
            raise ValueError(f"expected a 1m candle, was {minute.interval}")
        open_ms = to_ms(minute.open_time)
        complete: list[Candle] = []
        incomplete: list[tuple[Interval, int]] = []
        for interval in self._intervals:
            start = interval.bucket_start(open_ms)
            bucket = self._buckets.get(interval)
            if bucket is None or bucket.open_ms != start:
                if bucket is not None and bucket.open_ms < start:
                    incomplete.append((interval, bucket.open_ms))  # its last minutes never came
                bucket = self._buckets[interval] = _Bucket(start)
            bucket.minutes[open_ms] = minute
            if open_ms + Interval.M1.milliseconds == start + interval.milliseconds:
                del self._buckets[interval]
                expected = interval.milliseconds // Interval.M1.milliseconds
                if len(bucket.minutes) == expected:
                    complete.append(_combine(interval, start, bucket.minutes))
                else:
                    incomplete.append((interval, start))
        return RollupResult(tuple(complete), tuple(incomplete))


def _combine(interval: Interval, open_ms: int, minutes: dict[int, Candle]) -> Candle:
    ordered = [minutes[k] for k in sorted(minutes)]
    first, last = ordered[0], ordered[-1]
    return Candle(
        message_id=Candle.id_for(first.venue, first.symbol, interval, open_ms),
        venue=first.venue,
        symbol=first.symbol,
        interval=interval,
        open_time=from_ms(open_ms),
        close_time=from_ms(open_ms + interval.milliseconds),
        open=first.open,
        high=max(c.high for c in ordered),
        low=min(c.low for c in ordered),
        close=last.close,
        volume=sum((c.volume for c in ordered), start=Decimal(0)),
        closed=True,
        ts_event=last.ts_event,
        ts_init=last.ts_init,
    )
