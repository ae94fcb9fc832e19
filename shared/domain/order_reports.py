"""What a venue says about an order or a trade, in exact decimals, whatever channel said it.

The REST answer to a submit, a user-stream event and a reconciliation query all become these two
types, so the executor has one code path for applying the venue's word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shared.domain.enums import OrderSide, OrderStatus


@dataclass(frozen=True, slots=True)
class OrderReport:
    """An order's state at the venue. ``filled``/``filled_quote`` are cumulative, so they only grow."""

    client_order_id: str
    venue_order_id: str
    status: OrderStatus
    venue_status: str
    filled: Decimal
    filled_quote: Decimal
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TradeReport:
    """One trade (a fill) of one of our orders; ``trade_id`` is the venue's, unique per symbol."""

    trade_id: str
    venue_order_id: str
    client_order_id: str | None
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    commission: Decimal
    commission_asset: str
    traded_at: datetime


__all__ = ["OrderReport", "TradeReport"]
