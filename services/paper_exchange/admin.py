"""``/admin/...``: operating the simulator from tests and scripts — faults and accounts."""

from __future__ import annotations

import json

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.paper_exchange.accounts import AccountError, parse_balances
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.faults import FaultError, FaultRegistry
from services.paper_exchange.numbers import fmt
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
