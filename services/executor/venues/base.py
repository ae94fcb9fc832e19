"""The ``Venue`` protocol: what the executor needs from an exchange, in our types only.

=========================  ========  ===============================================================
method                     required  what it does
=========================  ========  ===============================================================
``market``                 yes       the symbol's filters (tick, step, min/max, notional), exact
``submit``                 yes       place one order under our client order id; FULL response
``cancel``                 yes       cancel by client order id; the order's state afterwards
``fetch_order``            yes       one order by client order id (``VenueOrderNotFound``)
``fetch_open_orders``      yes       open orders of a symbol
``fetch_all_open_orders``  yes       open orders of every symbol, with their symbols (kill switch)
``cancel_all``             yes       cancel every open order of a symbol at once (kill switch)
``fetch_fills``            yes       trades of a symbol since a time, or of one order
``fetch_balances``         yes       free and locked per asset
``watch_orders``           optional  the next batch of order reports from the user stream
``watch_fills``            optional  the next batch of trades from the user stream
``close``                  yes       release connections
=========================  ========  ===============================================================

Every method raises only ``VenueError`` subclasses (``venues/errors.py``), never ccxt's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from shared.domain.enums import OrderSide, OrderType, TimeInForce
from shared.domain.market_rules import MarketRules
from shared.domain.order_reports import OrderReport, TradeReport


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order, already quantised to the market's filters; market orders carry no price."""

    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    time_in_force: TimeInForce | None


@dataclass(frozen=True, slots=True)
class Submitted:
    """The venue's answer to a submit: the order's state and any fills it already had."""

    report: OrderReport
    fills: tuple[TradeReport, ...]


class Venue(Protocol):
    """One account on one exchange."""

    name: str

    async def market(self, symbol: str) -> MarketRules: ...

    async def submit(self, request: OrderRequest) -> Submitted: ...

    async def cancel(self, symbol: str, client_order_id: str) -> OrderReport: ...

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderReport: ...

    async def fetch_open_orders(self, symbol: str) -> list[OrderReport]: ...

    async def fetch_all_open_orders(self) -> list[tuple[str, OrderReport]]: ...

    async def cancel_all(self, symbol: str) -> list[OrderReport]: ...

    async def fetch_fills(
        self, symbol: str, *, since: datetime | None = None, venue_order_id: str | None = None
    ) -> list[TradeReport]: ...

    async def fetch_balances(self) -> dict[str, tuple[Decimal, Decimal]]: ...

    async def watch_orders(self) -> list[OrderReport]: ...

    async def watch_fills(self) -> list[TradeReport]: ...

    async def close(self) -> None: ...


__all__ = ["MarketRules", "OrderRequest", "Submitted", "Venue"]
