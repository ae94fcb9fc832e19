"""A new order's parameters read and checked the way Binance checks them, before any matching.

Order: mandatory parameters per type (-1102), enum values (-1115/-1116/-1117), number syntax
(-1100), then the symbol's filters — PRICE_FILTER on price and stopPrice, LOT_SIZE (and
MARKET_LOT_SIZE's maximum for MARKET), NOTIONAL — each failing with -1013 "Filter failure: X".
Balances and the book are the engine's business, not this module's.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from services.paper_exchange.errors import BinanceError, illegal_characters, mandatory
from services.paper_exchange.markets import ORDER_TYPES, SymbolSpec
from services.paper_exchange.numbers import ZERO

STOP_TYPES = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
_DECIMAL = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_DECIMAL_RE = re.compile(_DECIMAL)
_CLIENT_ID = "^[a-zA-Z0-9-_]{1,36}$"
_CLIENT_ID_RE = re.compile(_CLIENT_ID)
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    time_in_force: str
    quantity: Decimal  # 0 for a MARKET order by quoteOrderQty
    quote_order_qty: Decimal
    price: Decimal  # 0 for MARKET
    stop_price: Decimal  # 0 unless a stop type
    client_order_id: str
    resp_type: str


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


def decimal_param(params: Mapping[str, str], name: str) -> Decimal | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _DECIMAL_RE.match(text):
        raise illegal_characters(name, _DECIMAL)
    return Decimal(text)


def client_order_id(params: Mapping[str, str], name: str) -> str | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _CLIENT_ID_RE.match(text):
        raise illegal_characters(name, _CLIENT_ID)
    return text


def new_client_order_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


def read_order(params: Mapping[str, str], spec: SymbolSpec, average_price: Decimal) -> OrderRequest:
    """Check a ``POST /api/v3/order`` request; ``average_price`` prices a MARKET order's notional."""
    side, kind = params.get("side"), params.get("type")
    if not side:
        raise mandatory("side")
    if not kind:
        raise mandatory("type")
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    if kind not in ORDER_TYPES:
        raise BinanceError(-1116, "Invalid orderType.")
    quantity = decimal_param(params, "quantity")
    quote_qty = decimal_param(params, "quoteOrderQty")
    price = decimal_param(params, "price")
    stop = decimal_param(params, "stopPrice")
    tif = params.get("timeInForce") or ""
    if kind == "MARKET":
        if (quantity is None) == (quote_qty is None):
            raise BinanceError(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if price is not None:
            raise BinanceError(-1106, "Parameter 'price' sent when not required.")
        tif = "GTC"
    else:
        if quantity is None:
            raise mandatory("quantity")
        if quote_qty is not None:
            raise BinanceError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if price is None:
            raise mandatory("price")
        if kind == "LIMIT_MAKER":
            tif = "GTC"
        elif not tif:
            raise mandatory("timeInForce")
        elif tif not in ("GTC", "IOC", "FOK"):
            raise BinanceError(-1115, "Invalid timeInForce.")
    if kind in STOP_TYPES:
        if stop is None:
            raise mandatory("stopPrice")
    elif stop is not None:
        raise BinanceError(-1106, "Parameter 'stopPrice' sent when not required.")
    resp_type = params.get("newOrderRespType") or ("FULL" if kind in ("MARKET", "LIMIT") else "ACK")
    if resp_type not in ("ACK", "RESULT", "FULL"):
        raise BinanceError(-1177, "Invalid newOrderRespType.")
    request = OrderRequest(
        spec.symbol, side, kind, tif, quantity or ZERO, quote_qty or ZERO, price or ZERO, stop or ZERO,
        client_order_id(params, "newClientOrderId") or new_client_order_id(), resp_type,
    )  # fmt: skip
    check_filters(request, spec, average_price)
    return request


def _price_ok(price: Decimal, spec: SymbolSpec) -> bool:
    return spec.min_price <= price <= spec.max_price and price % spec.tick_size == 0


def check_filters(request: OrderRequest, spec: SymbolSpec, average_price: Decimal) -> None:
    if request.type != "MARKET" and not _price_ok(request.price, spec):
        raise filter_failure("PRICE_FILTER")
    if request.type in STOP_TYPES and not _price_ok(request.stop_price, spec):
        raise filter_failure("PRICE_FILTER")
    quantity = request.quantity
    if request.quote_order_qty:
        notional = request.quote_order_qty
    else:
        if not spec.min_qty <= quantity <= spec.max_qty or quantity % spec.step_size != 0:
            raise filter_failure("LOT_SIZE")
        if request.type == "MARKET" and quantity > spec.market_max_qty:
            raise filter_failure("MARKET_LOT_SIZE")
        notional = quantity * (average_price if request.type == "MARKET" else request.price)
    if notional < spec.min_notional:
        raise filter_failure("NOTIONAL")
    if request.type != "MARKET" and notional > spec.max_notional:
        raise filter_failure("NOTIONAL")
