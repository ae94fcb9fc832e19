"""Reference prices: the last trade price of each symbol, and where the price stood a window ago.

Fed from the market feed's trade ticks (core NATS: a missed tick is superseded by the next).
``price`` answers None when nothing fresh is known, and the collar checks then fail closed: a
gate that cannot see the market must not let orders through (RTS 6 Art. 15(1)). The history per
symbol is one sample per second at most, kept for the longest window asked of it, so memory stays
bounded however fast the market trades.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Reference:
    price: Decimal
    at: datetime


@dataclass
class ReferencePrices:
    """Latest price per symbol, and a coarse history for the cumulative collar's window."""

    history_s: int = 3600
    _latest: dict[str, Reference] = field(default_factory=dict)
    _history: dict[str, list[Reference]] = field(default_factory=dict)

    def observe(self, symbol: str, price: Decimal, at: datetime) -> None:
        """Record a trade; an older trade arriving late never replaces a newer price."""
        latest = self._latest.get(symbol)
        if latest is not None and at < latest.at:
            return
        reference = Reference(price, at)
        self._latest[symbol] = reference
        history = self._history.setdefault(symbol, [])
        if not history or (at - history[-1].at) >= timedelta(seconds=1):
            history.append(reference)
            if len(history) > 2 * self.history_s:  # trimmed in bulk: amortised O(1) per sample
                horizon = at - timedelta(seconds=self.history_s)
                del history[: bisect_left(history, horizon, key=_at)]

    def latest(self, symbol: str) -> Reference | None:
        return self._latest.get(symbol)

    def window_start(self, symbol: str, window_s: int, now: datetime) -> Reference | None:
        """The first reference inside the last ``window_s`` seconds (the collar window's anchor)."""
        history = self._history.get(symbol, [])
        index = bisect_left(history, now - timedelta(seconds=window_s), key=_at)
        return history[index] if index < len(history) else None

    def prices(self) -> dict[str, Decimal]:
        return {symbol: reference.price for symbol, reference in self._latest.items()}


def _at(reference: Reference) -> datetime:
    return reference.at


__all__ = ["Reference", "ReferencePrices"]
