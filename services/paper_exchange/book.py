"""A synthesised order book around the last trade.

The last trade sits at the touch: a buyer-initiated trade printed at the ask, so the best ask is
that price and the best bid one tick below; a seller-initiated trade the other way round. Levels
are one tick apart; each level's size is a fixed function of (seed, symbol, price), so a level
keeps its size while the book moves, and depth updates only carry the levels that appear, vanish
or change side. The book is republished once per simulator step with a new ``lastUpdateId``, and
REST snapshots show the last published book, so a snapshot plus the following diff events always
rebuild the book exactly (Binance's documented procedure, which ccxt.pro follows).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.paper_exchange.markets import SymbolSpec

_MIX = 2654435761  # Knuth's multiplicative hash constant


@dataclass(frozen=True, slots=True)
class BookDiff:
    first_update_id: int
    last_update_id: int
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class SyntheticBook:
    """One symbol's book, rebuilt from the last trade each time it is published."""

    def __init__(self, spec: SymbolSpec, seed: int, levels: int) -> None:
        self._spec = spec
        self._levels = levels
        self._salt = (seed * 1_000_003 + sum(map(ord, spec.symbol))) & 0xFFFFFFFF
        self._base_steps = max(1, int(spec.volume_per_minute / spec.step_size) // 40)
        self.update_id = 0
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def _size(self, ticks: int) -> int:
        mixed = ((ticks * _MIX) ^ self._salt) & 0xFFFFFFFF
        return self._base_steps * (20 + (mixed >> 8) % 180) // 100 + 1

    def publish(self, last_price: Decimal, buyer_is_maker: bool) -> BookDiff | None:
        """Rebuild around ``last_price``; return what changed, or None when nothing did."""
        last = int(last_price / self._spec.tick_size)
        best_bid, best_ask = (last, last + 1) if buyer_is_maker else (last - 1, last)
        bids = {p: self._size(p) for p in range(best_bid, max(0, best_bid - self._levels), -1)}
        asks = {p: self._size(p) for p in range(best_ask, best_ask + self._levels)}
        if bids == self.bids and asks == self.asks and self.update_id:
            return None
        bid_changes = _changes(self.bids, bids)
        ask_changes = _changes(self.asks, asks)
        self.bids, self.asks = bids, asks
        self.update_id += 1
        return BookDiff(
            self.update_id,
            self.update_id,
            [self._level(p, q) for p, q in sorted(bid_changes.items(), reverse=True)],
            [self._level(p, q) for p, q in sorted(ask_changes.items())],
        )

    def _level(self, ticks: int, steps: int) -> tuple[Decimal, Decimal]:
        return ticks * self._spec.tick_size, steps * self._spec.step_size

    def top(self) -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]]:
        """``((bid price, bid size), (ask price, ask size))``."""
        bid = next(iter(self.bids))
        ask = next(iter(self.asks))
        return self._level(bid, self.bids[bid]), self._level(ask, self.asks[ask])

    def depth(self, limit: int) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """The best ``limit`` levels of each side, best first."""
        # Both dicts are built best-first, and dicts keep insertion order.
        bids = list(self.bids.items())[:limit]
        asks = list(self.asks.items())[:limit]
        return [self._level(p, q) for p, q in bids], [self._level(p, q) for p, q in asks]


def _changes(before: dict[int, int], after: dict[int, int]) -> dict[int, int]:
    changed = {p: q for p, q in after.items() if before.get(p) != q}
    changed.update({p: 0 for p in before if p not in after})
    return changed
