"""Profit and loss per symbol: realised from the fills (average cost), the rest from the position.

For each (venue, symbol) the position holds the net base ``quantity`` and the net ``quote_spent``
(fees in either asset of the pair included). Marked at price ``p``, everything the symbol made
is ``quantity * p - quote_spent``: exact, from the position alone. The split into realised and
unrealised needs a cost basis, which the fills give, oldest first, at average cost:

- a buy adds its quote cost (price x quantity, plus a fee paid in the quote asset) to the basis
  and its base quantity, less a fee paid in the base asset, to the holding;
- a sell realises its proceeds (less a quote fee) minus the basis of what left the holding (the
  quantity, plus a base fee), at the holding's average cost.

Unrealised is then ``total - realised``, so the two always add up to the position's figure. Base
sold beyond what our fills bought (deposited coins) has no known cost: its basis counts as zero,
and the holding cannot go below zero. The web app's P&L and the copilot's ``portfolio`` tool both
come from here, so a trader never sees two answers to "what have I made".
Fees paid in a third asset (BNB) are left out: they have no price in the pair's quote. Amounts
are rounded to 18 decimal places (what the database stores), half to even, after each average.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from shared.domain.symbols import split_symbol

ZERO = Decimal(0)
_PLACES = Decimal(1).scaleb(-18)

Market = tuple[str, str]
"""(venue, symbol)"""


@dataclass(frozen=True, slots=True)
class FillLine:
    venue: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    commission_asset: str


@dataclass(frozen=True, slots=True)
class PositionLine:
    venue: str
    symbol: str
    quantity: Decimal
    quote_spent: Decimal


@dataclass(frozen=True, slots=True)
class Mark:
    price: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class MarketPnl:
    venue: str
    symbol: str
    quote: str
    quantity: Decimal
    realised: Decimal
    unrealised: Decimal | None
    total: Decimal | None
    price: Decimal | None
    price_at: datetime | None


@dataclass(slots=True)
class QuoteTotals:
    quote: str
    realised: Decimal = ZERO
    unrealised: Decimal = ZERO
    total: Decimal = ZERO
    unpriced: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CostBasis:
    """What one market's fills leave: the holding with a known cost, that cost, and realised P&L."""

    held: Decimal = ZERO
    cost: Decimal = ZERO
    realised: Decimal = ZERO

    @property
    def average_price(self) -> Decimal | None:
        return _round(self.cost / self.held) if self.held > 0 else None


def _round(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def _apply(basis: CostBasis, fill: FillLine) -> None:
    base, quote = split_symbol(fill.symbol)
    base_fee = fill.commission if fill.commission_asset == base else ZERO
    quote_fee = fill.commission if fill.commission_asset == quote else ZERO
    if fill.side == "buy":
        basis.cost += fill.quantity * fill.price + quote_fee
        basis.held += fill.quantity - base_fee
        return
    leaving = fill.quantity + base_fee
    covered = min(leaving, basis.held) if basis.held > 0 else ZERO
    cost_out = _round(basis.cost * covered / basis.held) if covered > 0 else ZERO
    basis.realised += fill.quantity * fill.price - quote_fee - cost_out
    basis.cost -= cost_out
    basis.held = max(basis.held - leaving, ZERO)
    if basis.held == 0:
        basis.cost = ZERO


def cost_bases(fills: Iterable[FillLine]) -> dict[Market, CostBasis]:
    """The cost basis of every market in ``fills``, which must come oldest first."""
    bases: dict[Market, CostBasis] = {}
    for fill in fills:
        _apply(bases.setdefault((fill.venue, fill.symbol), CostBasis()), fill)
    return bases


def realised(fills: Iterable[FillLine]) -> dict[Market, Decimal]:
    """Realised P&L per market from its fills, which must come oldest first."""
    return {market: basis.realised for market, basis in cost_bases(fills).items()}


def market_pnl(
    positions: Iterable[PositionLine], fills: Iterable[FillLine], marks: Mapping[Market, Mark]
) -> list[MarketPnl]:
    """P&L of every position, by venue then symbol."""
    made = realised(fills)
    out: list[MarketPnl] = []
    for position in sorted(positions, key=lambda p: (p.venue, p.symbol)):
        market = (position.venue, position.symbol)
        done = made.get(market, ZERO)
        mark = marks.get(market)
        total = None if mark is None else position.quantity * mark.price - position.quote_spent
        out.append(
            MarketPnl(
                venue=position.venue, symbol=position.symbol, quote=split_symbol(position.symbol)[1],
                quantity=position.quantity, realised=done,
                unrealised=None if total is None else total - done, total=total,
                price=None if mark is None else mark.price, price_at=None if mark is None else mark.at,
            )
        )  # fmt: skip
    return out


def totals(markets: Iterable[MarketPnl]) -> list[QuoteTotals]:
    """Sums per quote asset; a market without a price adds its realised part only."""
    by_quote: dict[str, QuoteTotals] = {}
    for pnl in markets:
        sums = by_quote.setdefault(pnl.quote, QuoteTotals(pnl.quote))
        sums.realised += pnl.realised
        if pnl.unrealised is None or pnl.total is None:
            sums.unpriced.append(f"{pnl.venue}:{pnl.symbol}")
            sums.total += pnl.realised
        else:
            sums.unrealised += pnl.unrealised
            sums.total += pnl.total
    return [by_quote[quote] for quote in sorted(by_quote)]


__all__ = [
    "CostBasis",
    "FillLine",
    "Mark",
    "MarketPnl",
    "PositionLine",
    "QuoteTotals",
    "cost_bases",
    "market_pnl",
    "realised",
    "totals",
]
