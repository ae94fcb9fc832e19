"""Candle intervals, spelled the way Binance spells them."""

from __future__ import annotations

from enum import StrEnum

_MINUTE_MS = 60_000


class Interval(StrEnum):
    """A candle interval; its value is Binance's spelling."""

    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H4 = "4h"
    H6 = "6h"
    H8 = "8h"
    H12 = "12h"
    D1 = "1d"

    @property
    def milliseconds(self) -> int:
        """Length of one candle in milliseconds."""
        return _LENGTH_MS[self]

    def bucket_start(self, ts_ms: int) -> int:
        """Open time of the candle that contains ``ts_ms`` (UTC-aligned, as Binance aligns)."""
        return ts_ms - ts_ms % self.milliseconds


_LENGTH_MS: dict[Interval, int] = {
    Interval.M1: _MINUTE_MS,
    Interval.M3: 3 * _MINUTE_MS,
    Interval.M5: 5 * _MINUTE_MS,
    Interval.M15: 15 * _MINUTE_MS,
    Interval.M30: 30 * _MINUTE_MS,
    Interval.H1: 60 * _MINUTE_MS,
    Interval.H2: 120 * _MINUTE_MS,
    Interval.H4: 240 * _MINUTE_MS,
    Interval.H6: 360 * _MINUTE_MS,
    Interval.H8: 480 * _MINUTE_MS,
    Interval.H12: 720 * _MINUTE_MS,
    Interval.D1: 1440 * _MINUTE_MS,
}


def parse_interval(text: str) -> Interval:
    """Return the interval for ``text``; raise ``ValueError`` naming the accepted spellings."""
    try:
        return Interval(text)
    except ValueError:
        accepted = ", ".join(i.value for i in Interval)
        raise ValueError(f"expected an interval among {accepted}, was {text!r}") from None
