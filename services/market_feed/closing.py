"""Decide when a streamed candle has closed, and notice gaps.

ccxt's ``watch_ohlcv`` yields updated rows without Binance's ``x`` (closed) flag. A candle is closed
once a row of a later candle arrives; its last update (Binance sends a final ``x: true`` update
before the next candle opens) holds its final values. A later row more than one interval ahead
means candles were missed: the caller backfills them over REST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Advance:
    """What one update told us: the rows that closed, and a gap ``[gap_from_ms, gap_until_ms)``."""

    closed: tuple[list[Any], ...] = ()
    gap_from_ms: int | None = None
    gap_until_ms: int | None = None


class ClosingTracker:
    """Tracks the forming candle of one symbol and interval."""

    def __init__(self, interval_ms: int, last_closed_ms: int | None = None) -> None:
        self._interval_ms = interval_ms
        self._forming: list[Any] | None = None
        self._last_closed_ms = last_closed_ms

    @property
    def last_closed_ms(self) -> int | None:
        return self._last_closed_ms

    def mark_closed(self, open_ms: int) -> None:
        """Record that ``open_ms`` was published by another path (backfill)."""
        if self._last_closed_ms is None or open_ms > self._last_closed_ms:
            self._last_closed_ms = open_ms

    def reset(self) -> None:
        """Forget the forming candle (after a disconnect its last update may be stale)."""
        self._forming = None

    def update(self, rows: list[list[Any]]) -> Advance:
        closed: list[list[Any]] = []
        gap_from: int | None = None
        gap_until: int | None = None
        for row in sorted(rows, key=lambda r: r[0]):
            open_ms = row[0]
            if self._last_closed_ms is not None and open_ms <= self._last_closed_ms:
                continue  # already published: a replay of an old update
            if self._forming is None:
                expected = None if self._last_closed_ms is None else self._last_closed_ms + self._interval_ms
                if expected is not None and open_ms > expected and gap_from is None:
                    gap_from, gap_until = expected, open_ms
                self._forming = list(row)
            elif open_ms == self._forming[0]:
                self._forming = list(row)
            elif open_ms > self._forming[0]:
                if self._last_closed_ms is None or self._forming[0] > self._last_closed_ms:
                    closed.append(self._forming)  # else a backfill already published it
                    self._last_closed_ms = self._forming[0]
                if open_ms > self._forming[0] + self._interval_ms and gap_from is None:
                    gap_from, gap_until = self._forming[0] + self._interval_ms, open_ms
                self._forming = list(row)
        return Advance(tuple(closed), gap_from, gap_until)
