"""``BinanceVenue``: one user's account on paper, testnet or live, through ccxt's async binance.

The client comes from ``create_binance`` (the one place ccxt clients are built) with ccxt.pro, so
the same object serves REST and the WebSocket API user stream. Every call passes the venue's
``RateGate`` first and goes through ``_call``, where ccxt errors become ``VenueError``s once.
Quantities go to ccxt as decimal strings, never floats; a market order never gets a price (ccxt
would turn it into ``quoteOrderQty = amount * price``): quote amounts go as ``quoteOrderQty``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from services.executor.venues.base import OrderRequest, Submitted
from services.executor.venues.binance_mapping import (
    cancel_report,
    order_report,
    response_fills,
    trade_report,
)
from services.executor.venues.errors import VenueError, VenueRejected, VenueRetryable, classify, error_code
from services.executor.venues.rate_gate import RateGate
from shared.domain.enums import OrderType
from shared.domain.market_rules import MarketRules, rules_from_market
from shared.domain.order_reports import OrderReport, TradeReport
from shared.messages.base import plain_decimal, to_ms

T = TypeVar("T")
_STATUS_IN_MESSAGE = re.compile(r"\b(418|429)\b")
DEFAULT_BAN_S = 120.0
"""A 418 without Retry-After: Binance's shortest ban."""


class BinanceVenue:
    """One ccxt.pro ``binance`` client signed with one user's key, behind the ``Venue`` protocol."""

    def __init__(
        self, name: str, client: Any, gate: RateGate, on_error: Callable[[str], None] = lambda _: None
    ) -> None:
        self.name = name
        self._client = client
        self._client.enableLastResponseHeaders = True
        self._gate = gate
        self._on_error = on_error
        """Told the ``error_code`` of every error the venue answers (for the metrics)."""
        self._markets_loaded = False

    async def market(self, symbol: str) -> MarketRules:
        if not self._markets_loaded:
            await self._call(self._client.load_markets)
            self._markets_loaded = True
        market = self._client.markets.get(symbol)
        if market is None or not market.get("spot") or not market.get("active", True):
            raise VenueRejected(f"unknown symbol {symbol} on {self.name}")
        return rules_from_market(symbol, market)

    async def submit(self, request: OrderRequest) -> Submitted:
        params: dict[str, Any] = {"newClientOrderId": request.client_order_id, "newOrderRespType": "FULL"}
        amount: str | None = None
        price: str | None = None
        if request.quantity is not None:
            amount = plain_decimal(request.quantity)
        if request.order_type == OrderType.MARKET:
            if request.quote_quantity is not None:
                params["quoteOrderQty"] = plain_decimal(request.quote_quantity)
        else:
            assert request.price is not None, "a limit order has a price"
            price = plain_decimal(request.price)
            params["timeInForce"] = (request.time_in_force or "GTC").upper()

        async def create() -> Any:
            return await self._client.create_order(
                request.symbol, request.order_type.value, request.side.value, amount, price, params
            )

        placed = await self._call(create, submitting=True)
        info = placed["info"]
        return Submitted(order_report(info), response_fills(info, request.symbol, request.side))

    async def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        async def cancel() -> Any:
            return await self._client.cancel_order(None, symbol, {"origClientOrderId": client_order_id})

        return order_report((await self._call(cancel))["info"])

    async def fetch_order(self, symbol: str, client_order_id: str) -> OrderReport:
        async def fetch() -> Any:
            return await self._client.fetch_order(None, symbol, {"origClientOrderId": client_order_id})

        return order_report((await self._call(fetch))["info"])

    async def fetch_open_orders(self, symbol: str) -> list[OrderReport]:
        async def fetch() -> Any:
            return await self._client.fetch_open_orders(symbol)

        return [order_report(o["info"]) for o in await self._call(fetch)]

    async def fetch_all_open_orders(self) -> list[tuple[str, OrderReport]]:
        """Open orders on every symbol, with their symbols, in one request.

        Binance weighs it 80 (against 6 per symbol): cheaper than asking each listed symbol,
        and the only way to find an order on a symbol nobody told us about.
        """

        async def fetch() -> Any:
            return await self._client.fetch_open_orders()

        return [(str(o["symbol"]), order_report(o["info"])) for o in await self._call(fetch)]

    async def cancel_all(self, symbol: str) -> list[OrderReport]:
        """Cancel every open order on ``symbol`` (``DELETE /api/v3/openOrders``, weight 1).

        Answers ``VenueOrderNotFound`` when nothing is open there. Entries of order lists (OCO)
        carry no status of their own and are skipped: their legs are listed as orders too.
        """

        async def cancel() -> Any:
            return await self._client.cancel_all_orders(symbol)

        return [cancel_report(o["info"]) for o in await self._call(cancel) if "status" in o["info"]]

    async def fetch_fills(
        self, symbol: str, *, since: datetime | None = None, venue_order_id: str | None = None
    ) -> list[TradeReport]:
        params: dict[str, Any] = {} if venue_order_id is None else {"orderId": venue_order_id}
        start = None if since is None or venue_order_id is not None else to_ms(since)

        async def fetch() -> Any:
            return await self._client.fetch_my_trades(symbol, start, 1000, params)

        reports = (trade_report(t["info"]) for t in await self._call(fetch))
        return [r for r in reports if r is not None]

    async def fetch_balances(self) -> dict[str, tuple[Decimal, Decimal]]:
        account = await self._call(self._client.fetch_balance)
        return {
            str(b["asset"]): (Decimal(str(b["free"])), Decimal(str(b["locked"])))
            for b in account["info"].get("balances", ())
        }

    async def watch_orders(self) -> list[OrderReport]:
        orders = await self._call(self._client.watch_orders)
        self._client.orders.clear() if hasattr(self._client.orders, "clear") else None
        return [order_report(o["info"]) for o in orders]

    async def watch_fills(self) -> list[TradeReport]:
        trades = await self._call(self._client.watch_my_trades)
        reports = (trade_report(t["info"]) for t in trades)
        return [r for r in reports if r is not None]

    async def close(self) -> None:
        await self._client.close()

    async def _call(self, call: Callable[[], Awaitable[T]], *, submitting: bool = False) -> T:
        """Run one ccxt call behind the gate; map its error once and close the gate on 429/418."""
        await self._gate.wait()
        try:
            result = await call()
        except Exception as error:
            headers = {k.lower(): v for k, v in (self._client.last_response_headers or {}).items()}
            match = _STATUS_IN_MESSAGE.search(str(error))
            status = int(match.group(1)) if match else None
            if not isinstance(error, VenueError):
                self._on_error(error_code(error, status))
            retry_after = float(headers["retry-after"]) if "retry-after" in headers else None
            mapped = classify(error, submitting=submitting, retry_after_s=retry_after, status=status)
            if isinstance(mapped, VenueRetryable) and status in (418, 429):
                default = DEFAULT_BAN_S if status == 418 else 1.0
                self._gate.close_for(
                    retry_after if retry_after is not None else default, banned=status == 418
                )
            raise mapped from error
        self._gate.observe(self._client.last_response_headers)
        return result


__all__ = ["BinanceVenue"]
