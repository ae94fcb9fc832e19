"""The caller's positions, balances and P&L, read as the caller (row-level security)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES
from services.api_gateway.read_json import json_response, market_pnl_json, quote_totals_json
from services.api_gateway.trading_schemas import (
    BalancePublic,
    BalancesPublic,
    PnlPublic,
    PositionsPublic,
)
from shared.domain.pnl import market_pnl, totals

router = APIRouter(tags=["portfolio"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("/positions", response_model=PositionsPublic)
async def list_positions(state: StateDep, user: CurrentUser) -> Response:
    """Net quantity and quote spent per symbol, from the caller's fills; by venue then symbol."""
    return json_response({"data": [dict(p) for p in await state.reads.positions(user.sub)]})


@router.get("/balances", response_model=BalancesPublic)
async def list_balances(state: StateDep, user: CurrentUser) -> BalancesPublic:
    """The caller's assets as each venue last reported them; by venue then asset."""
    return BalancesPublic(data=[BalancePublic.of(b) for b in await state.trading.balances(user.sub)])


@router.get("/pnl", response_model=PnlPublic)
async def get_pnl(state: StateDep, user: CurrentUser) -> Response:
    """Realised and unrealised P&L per symbol at the latest stored price, with totals per quote.

    Realised comes from the fills at average cost; realised + unrealised is exactly the position
    marked at the price (``quantity * price - quote_spent``).
    """
    inputs = await state.reads.pnl_inputs(user.sub)
    markets = market_pnl(inputs.positions, inputs.fills, inputs.marks)
    return json_response(
        {
            "markets": [market_pnl_json(m) for m in markets],
            "totals": [quote_totals_json(t) for t in totals(markets)],
        }
    )
