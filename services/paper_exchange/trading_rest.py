"""Binance Spot's signed trading endpoints: orders, open orders, history, trades, account.

Every request is authenticated the Binance way (``auth.signed``); the order endpoints also pass
through the trading faults: ``order_status`` refuses before anything happens, while the
``after_accept_*`` faults let the order be placed and then fail the answer, which is the case
an executor must reconcile rather than re-send; ``cancel_fail_status`` refuses every other cancel.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from services.paper_exchange import errors
from services.paper_exchange.accounts import Account
from services.paper_exchange.auth import DroppedConnection, signed, uint
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.model import Order
from services.paper_exchange.numbers import ZERO, fmt
from services.paper_exchange.orders import client_order_id, read_order
from services.paper_exchange.rest import exchange_of

router = APIRouter(prefix="/api/v3")
_MAX_TIME = 2**63


def _json(payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, media_type="application/json", headers=headers)


def _refuse_if_faulted(exchange: PaperExchange) -> None:
    faults = exchange.faults.current
    if faults.order_status is not None:
        raise errors.for_status(faults.order_status, faults.retry_after_s)


def _refuse_cancel_if_faulted(exchange: PaperExchange) -> None:
    _refuse_if_faulted(exchange)
    status = exchange.faults.cancel_refusal()
    if status is not None:
        raise errors.for_status(status, exchange.faults.current.retry_after_s)


def _symbol(exchange: PaperExchange, params: dict[str, str]) -> str:
    text = params.get("symbol")
    if not text:
        raise errors.mandatory("symbol")
    if text not in exchange.markets:
        raise errors.invalid_symbol()
    return text


def _visible(exchange: PaperExchange, order: Order) -> bool:
    hidden_until = exchange.hidden_until.get(order.order_id)
    return hidden_until is None or wall_ms() >= hidden_until


def _find(exchange: PaperExchange, account: Account, params: dict[str, str]) -> Order | None:
    symbol = _symbol(exchange, params)
    order_id = uint(params, "orderId")
    client_id = client_order_id(params, "origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.BinanceError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    order = exchange.engine.store.find_order(account.api_key, symbol, order_id, client_id)
    if (
        order is not None
        and order_id is not None
        and client_id is not None
        and order.client_order_id != client_id
    ):
        raise errors.BinanceError(-2039, "Client order ID is not correct for this order ID.")
    return order


@router.post("/order")
async def new_order(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request, trade=True)
    _refuse_if_faulted(exchange)
    now = wall_ms()
    too_many = exchange.order_counter.exceeded(account.api_key, now)
    if too_many:
        raise errors.BinanceError(-1015, too_many, status=429)
    market = exchange.markets[_symbol(exchange, params)]
    order_request = read_order(params, market.spec, market.average_price(5)[0])
    order, fills = exchange.engine.place(account, order_request)
    count_10s, count_1d = exchange.order_counter.add(account.api_key, now)
    faults = exchange.faults.current
    if faults.order_invisible_s:
        exchange.hidden_until[order.order_id] = now + int(faults.order_invisible_s * 1000)
    if faults.after_accept_drop:
        return DroppedConnection()
    if faults.after_accept_timeout:
        raise errors.BinanceError(
            -1007,
            "Timeout waiting for response from backend server. "
            "Send status unknown; execution status unknown.",
        )
    if faults.after_accept_status is not None:
        return Response("<html><body><h1>Server error</h1></body></html>", faults.after_accept_status,
                        media_type="text/html")  # fmt: skip
    headers = {"X-MBX-ORDER-COUNT-10S": str(count_10s), "X-MBX-ORDER-COUNT-1D": str(count_1d)}
    if order_request.resp_type == "ACK":
        ack = {"symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
               "clientOrderId": order.client_order_id, "transactTime": order.time}  # fmt: skip
        return _json(ack, headers)
    body = order.result(order.time)
    if order_request.resp_type == "FULL":
        body["fills"] = [f.response_fill() for f in fills]
    return _json(body, headers)


@router.post("/order/test")
async def test_order(request: Request) -> Response:
    """Checks what ``POST /order`` checks up to the matching engine, and places nothing."""
    exchange = exchange_of(request)
    _, params = await signed(request, trade=True)
    market = exchange.markets[_symbol(exchange, params)]
    read_order(params, market.spec, market.average_price(5)[0])
    return _json({})


@router.get("/order")
async def query_order(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request)
    order = _find(exchange, account, params)
    if order is None or not _visible(exchange, order):
        raise errors.BinanceError(-2013, "Order does not exist.")
    return _json(order.rest())


def _canceled(order: Order, cancel_id: str, now: int) -> dict[str, Any]:
    body = order.result(now)
    body.pop("workingTime", None)
    body.pop("origQuoteOrderQty", None)
    return {"symbol": order.symbol, "origClientOrderId": order.client_order_id, "orderId": order.order_id,
            "orderListId": -1, "clientOrderId": cancel_id, **body}  # fmt: skip


@router.delete("/order")
async def cancel_order(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request, trade=True)
    _refuse_cancel_if_faulted(exchange)
    order = _find(exchange, account, params)
    if order is None:
        raise errors.BinanceError(-2011, "Unknown order sent.")
    cancel_id = client_order_id(params, "newClientOrderId") or f"cancel{order.order_id}"
    live = exchange.engine.cancel(account, order, cancel_id)
    return _json(_canceled(live, cancel_id, live.update_time))


@router.get("/openOrders")
async def open_orders(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request)
    symbol = _symbol(exchange, params) if "symbol" in params else None
    orders = exchange.engine.open_orders(account, symbol)
    return _json([o.rest() for o in orders if _visible(exchange, o)])


@router.delete("/openOrders")
async def cancel_open_orders(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request, trade=True)
    _refuse_cancel_if_faulted(exchange)
    orders = exchange.engine.open_orders(account, _symbol(exchange, params))
    if not orders:
        raise errors.BinanceError(-2011, "Unknown order sent.")
    out = []
    for order in orders:
        cancel_id = f"cancel{order.order_id}"
        out.append(_canceled(exchange.engine.cancel(account, order, cancel_id), cancel_id, wall_ms()))
    return _json(out)


def _window(params: dict[str, str], id_name: str, id_column: str) -> tuple[str, tuple[Any, ...], int]:
    """SQL conditions for ``<id>``/``startTime``/``endTime``/``limit`` (Binance: ≤ 24 h apart)."""
    where, args = "", []
    from_id = uint(params, id_name)
    start, end = uint(params, "startTime"), uint(params, "endTime")
    if from_id is not None:
        where, args = f" AND {id_column} >= ?", [from_id]
    if start is not None:
        where, args = where + " AND time >= ?", [*args, start]
    if end is not None:
        where, args = where + " AND time <= ?", [*args, end]
    limit = uint(params, "limit") or 500
    if not 1 <= limit <= 1000:
        raise errors.invalid_value("limit")
    return where, tuple(args), limit


@router.get("/allOrders")
async def all_orders(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request)
    where, args, limit = _window(params, "orderId", "order_id")
    orders = exchange.engine.store.orders(account.api_key, _symbol(exchange, params), where, args, limit)
    return _json([o.rest() for o in orders if _visible(exchange, o)])


@router.get("/myTrades")
async def my_trades(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request)
    symbol = _symbol(exchange, params)
    where, args, limit = _window(params, "fromId", "trade_id")
    order_id = uint(params, "orderId")
    if order_id is not None:
        where, args = where + " AND order_id = ?", (*args, order_id)
    fills = exchange.engine.store.fills(account.api_key, symbol, where, args, limit)
    hidden = {f.order_id for f in fills if wall_ms() < exchange.hidden_until.get(f.order_id, 0)}
    return _json([f.rest() for f in fills if f.order_id not in hidden])


@router.get("/account")
async def account_info(request: Request) -> Response:
    exchange = exchange_of(request)
    account, params = await signed(request)
    rate = fmt(exchange.settings.paper_commission_rate)
    bps = int(exchange.settings.paper_commission_rate * 10_000)
    omit_zero = params.get("omitZeroBalances") == "true"
    balances = [{"asset": a, "free": fmt(account.free[a]), "locked": fmt(account.locked.get(a, ZERO))}
                for a in sorted(account.free)
                if not (omit_zero and not account.free[a] and not account.locked.get(a))]  # fmt: skip
    return _json({
        "makerCommission": bps, "takerCommission": bps, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": rate, "taker": rate, "buyer": fmt(ZERO), "seller": fmt(ZERO)},
        "canTrade": account.can_trade, "canWithdraw": False, "canDeposit": False, "brokered": False,
        "requireSelfTradePrevention": False, "preventSor": False, "updateTime": wall_ms(),
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 0,
    })  # fmt: skip
