"""``/admin/...``: operating the simulator from tests and scripts — faults, accounts, trades.

=========================  ======================================================================
``GET /admin/faults``      the standing faults and the one-shot actions (``faults.py``)
``POST /admin/faults``     switch faults on or off, or trigger an action; all or nothing
``POST /admin/accounts``   a new funded account: its ``api_key`` and ``secret``
``POST /admin/trades``     one market trade printed now: ``{"symbol": "BTCUSDT", "price":
                           "20000.00", "quantity": "0.016"}``
=========================  ======================================================================

An injected trade exists because a partial fill otherwise depends on where the random or replayed
price path happens to go, which no test can arrange. It enters the symbol's price process where
the simulated trades are released, so it fills resting orders by the same rule (at their price,
up to ``paper_fill_share`` of its quantity), sends the same executionReports, persists the same
way and appears on the trade streams and ``/api/v3/trades``; it also moves the last price, the
book and the klines, as any print does. Price and quantity are decimal strings on the symbol's
tick and step, inside its PRICE_FILTER and LOT_SIZE bounds. The answer (201) is the trade in
``/api/v3/trades``' shape plus its symbol; the fills are done by then.

Every refusal is HTTP 400 with ``{"error": "<why>"}`` and changes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.paper_exchange.accounts import AccountError, parse_balances
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.faults import FaultError, FaultRegistry
from services.paper_exchange.markets import SymbolSpec
from services.paper_exchange.numbers import fmt, quantize
from services.paper_exchange.rest import exchange_of

router = APIRouter(prefix="/admin")


def _faults(request: Request) -> FaultRegistry:
    registry = request.app.state.faults
    assert isinstance(registry, FaultRegistry)
    return registry


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    return JSONResponse(_faults(request).describe())


@router.post("/faults")
async def post_faults(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    try:
        return JSONResponse(_faults(request).apply(body))
    except FaultError as e:
        return JSONResponse({"error": str(e)}, status_code=400)


@router.post("/accounts")
async def post_accounts(request: Request) -> Response:
    """``{"balances": {"USDT": "10000"}, "can_trade": true}`` → a new account's ``api_key`` and
    ``secret``. ``can_trade: false`` makes a read-only key (trading answers -2015)."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    if not isinstance(body, dict) or set(body) - {"balances", "can_trade"}:
        return JSONResponse({"error": 'expected {"balances": {asset: amount}, "can_trade": bool}'}, 400)
    can_trade = body.get("can_trade", True)
    if not isinstance(can_trade, bool):
        return JSONResponse({"error": "can_trade takes true or false"}, status_code=400)
    try:
        balances = parse_balances(body.get("balances", {}))
    except AccountError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
    account = exchange_of(request).engine.accounts.create(balances, can_trade, wall_ms())
    return JSONResponse(
        {"api_key": account.api_key, "secret": account.secret, "can_trade": can_trade,
         "balances": {asset: fmt(amount) for asset, amount in balances.items()}},
        status_code=201,
    )  # fmt: skip


class TradeError(ValueError):
    """A ``POST /admin/trades`` body that cannot be printed; the message says why."""


_TRADE_FIELDS = ("symbol", "price", "quantity")


def _decimal(body: dict[str, Any], name: str, low: Decimal, high: Decimal, increment: Decimal) -> Decimal:
    text = body[name]
    if not isinstance(text, str):  # a JSON number may already have lost digits in a float
        raise TradeError(f'{name} must be a decimal string like "0.01", was {json.dumps(text)}')
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise TradeError(f"{name} must be a decimal number, was {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise TradeError(f"{name} must be a positive finite number, was {text!r}")
    if not low <= value <= high:
        raise TradeError(f"{name} must lie in [{fmt(low)}, {fmt(high)}], was {text!r}")
    if quantize(value, increment) != value:
        raise TradeError(f"{name} must be a whole multiple of {fmt(increment)}, was {text!r}")
    return quantize(value, increment)


def read_trade(body: object, specs: dict[str, SymbolSpec]) -> tuple[str, Decimal, Decimal]:
    """``(symbol, price, quantity)`` of an injected trade, checked against the symbol's filters."""
    expected = 'expected {"symbol": "BTCUSDT", "price": "<decimal>", "quantity": "<decimal>"}'
    if not isinstance(body, dict):
        raise TradeError(expected)
    missing = [name for name in _TRADE_FIELDS if name not in body]
    unknown = sorted(str(name) for name in body if name not in _TRADE_FIELDS)
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise TradeError(f"{'; '.join(problems)}; {expected}")
    symbol = body["symbol"]
    spec = specs.get(symbol.upper()) if isinstance(symbol, str) else None
    if spec is None:
        raise TradeError(f"unknown symbol {json.dumps(symbol)}; listed: {', '.join(specs)}")
    price = _decimal(body, "price", spec.min_price, spec.max_price, spec.tick_size)
    quantity = _decimal(body, "quantity", spec.min_qty, spec.max_qty, spec.step_size)
    return spec.symbol, price, quantity


@router.post("/trades")
async def post_trades(request: Request) -> Response:
    """Print one market trade now; resting orders it crosses fill before the answer is sent."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    exchange = exchange_of(request)
    try:
        symbol, price, quantity = read_trade(body, exchange.specs)
    except TradeError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
    trade = exchange.inject_trade(symbol, price, quantity)
    return JSONResponse(
        {"symbol": symbol, "id": trade.id, "price": fmt(trade.price), "qty": fmt(trade.quantity),
         "quoteQty": fmt(trade.price * trade.quantity), "time": trade.time,
         "isBuyerMaker": trade.buyer_is_maker, "isBestMatch": True},
        status_code=201,
    )  # fmt: skip
