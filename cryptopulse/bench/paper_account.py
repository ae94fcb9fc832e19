"""One paper exchange account over signed REST, straight from the benchmark: no executor, no ccxt.

The kill-switch benchmark needs the venue's own view (are the orders gone, when did each go)
without asking the service under test, and a floor made of nothing but the venue's own cancel
requests. Requests are signed the Binance way (HMAC-SHA256 of the query string, key in
``X-MBX-APIKEY``) and sent as a query string, which the paper exchange reads for every method.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx

from shared.domain.symbols import venue_symbol
from shared.messages.base import plain_decimal

RECV_WINDOW_MS = 60_000
"""The longest Binance takes: a busy machine must not turn a slow request into a -1021."""


def signed_query(secret: str, params: Mapping[str, str], timestamp_ms: int) -> str:
    """``params`` plus ``timestamp`` and ``recvWindow``, URL-encoded, with their signature last."""
    query = urlencode({**params, "timestamp": str(timestamp_ms), "recvWindow": str(RECV_WINDOW_MS)})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={signature}"


class PaperAccount:
    """A funded paper account and the signed requests the benchmark makes with it."""

    def __init__(self, http: httpx.AsyncClient, api_key: str, secret: str) -> None:
        self.http = http
        self.api_key = api_key
        self._secret = secret

    @classmethod
    async def open(cls, http: httpx.AsyncClient, balances: Mapping[str, str]) -> PaperAccount:
        """A new account funded with ``balances`` (``POST /admin/accounts``), requests over ``http``."""
        response = await http.post("/admin/accounts", json={"balances": dict(balances), "can_trade": True})
        response.raise_for_status()
        account = response.json()
        return cls(http, account["api_key"], account["secret"])

    def with_client(self, http: httpx.AsyncClient) -> PaperAccount:
        """The same account over another client (one connection each for requests in parallel)."""
        return PaperAccount(http, self.api_key, self._secret)

    async def request(self, method: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        query = signed_query(self._secret, params or {}, int(time.time() * 1000))
        response = await self.http.request(method, f"{path}?{query}", headers={"X-MBX-APIKEY": self.api_key})
        response.raise_for_status()
        return response.json()

    async def buy_limit(self, symbol: str, quantity: Decimal, price: Decimal, client_order_id: str) -> None:
        """A GTC LIMIT buy answered with an ACK (the cheapest answer: the order is all we need)."""
        await self.request("POST", "/api/v3/order", {
            "symbol": venue_symbol(symbol), "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": plain_decimal(quantity), "price": plain_decimal(price),
            "newClientOrderId": client_order_id, "newOrderRespType": "ACK",
        })  # fmt: skip

    async def open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        params = {} if symbol is None else {"symbol": venue_symbol(symbol)}
        orders: list[dict[str, Any]] = await self.request("GET", "/api/v3/openOrders", params)
        return orders

    async def cancel_all(self, symbol: str) -> list[dict[str, Any]]:
        """``DELETE /api/v3/openOrders``: every open order on ``symbol`` in one request."""
        cancelled: list[dict[str, Any]] = await self.request(
            "DELETE", "/api/v3/openOrders", {"symbol": venue_symbol(symbol)}
        )
        return cancelled

    async def cancel(self, symbol: str, order_id: int) -> None:
        """``DELETE /api/v3/order`` of one order."""
        params = {"symbol": venue_symbol(symbol), "orderId": str(order_id)}
        await self.request("DELETE", "/api/v3/order", params)

    async def all_orders(self, symbol: str) -> list[dict[str, Any]]:
        """Up to 1,000 orders of ``symbol``, open or not, with their ``updateTime`` (ms)."""
        orders: list[dict[str, Any]] = await self.request(
            "GET", "/api/v3/allOrders", {"symbol": venue_symbol(symbol), "limit": "1000"}
        )
        return orders
