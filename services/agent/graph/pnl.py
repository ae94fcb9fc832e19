"""A position's cost basis and realised P&L from its fills, by the average-cost method, exactly.

The ``positions`` table holds net quantity and net quote spent, which mixes what was realised
with what is still held; a trader asks "what did I pay on average, what have I made". So the
fills are replayed oldest first: a buy adds its cost (a quote commission included, a base
commission taken off the quantity received), a sell realises its proceeds (less a quote
commission) against the average cost of what it sold. Commissions in a third asset (BNB) are
left out, since they need that asset's price at the time. A sell of more than the fills bought
(coins held before CryptoPulse traded them) realises only the part with a known cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from shared.db.models.orders import Fill
from shared.domain.enums import OrderSide
from shared.domain.symbols import split_symbol

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CostBasis:
    """What the fills of one symbol leave: the quantity with a known cost, its cost, realised P&L."""

    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    realised: Decimal = ZERO

    @property
    def average_price(self) -> Decimal | None:
        return self.cost / self.quantity if self.quantity > 0 else None

    def unrealised(self, price: Decimal) -> Decimal:
        """P&L of the quantity held, marked at ``price``."""
        return self.quantity * price - self.cost


def cost_basis(symbol: str, fills: Iterable[Fill]) -> CostBasis:
    """Replay ``fills`` of ``symbol`` (oldest first) into a ``CostBasis``; see the module docstring."""
    base, quote = split_symbol(symbol)
    quantity, cost, realised = ZERO, ZERO, ZERO
    for fill in fills:
        notional = fill.quantity * fill.price
        base_fee = fill.commission if fill.commission_asset == base else ZERO
        quote_fee = fill.commission if fill.commission_asset == quote else ZERO
        if fill.side == OrderSide.BUY:
            quantity += fill.quantity - base_fee
            cost += notional + quote_fee
            continue
        sold = min(fill.quantity + base_fee, quantity)
        if sold <= 0:
            continue
        share = sold / (fill.quantity + base_fee)
        released = cost * sold / quantity
        realised += (notional - quote_fee) * share - released
        quantity -= sold
        cost -= released
    return CostBasis(quantity, cost, realised)


__all__ = ["CostBasis", "cost_basis"]
