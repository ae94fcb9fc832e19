"""The caller's positions, balances and P&L, read as the caller (row-level security)."""

from __future__ import annotations

from fastapi import APIRouter

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES
from services.api_gateway.trading_schemas import (
    BalancePublic,
    BalancesPublic,
    MarketPnlPublic,
    PnlPublic,
    PositionPublic,
    PositionsPublic,
    QuoteTotalsPublic,
)
from shared.domain.pnl import FillLine, Mark, PositionLine, market_pnl, totals

router = APIRouter(tags=["portfolio"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("/positions", response_model=PositionsPublic)
async def list_positions(state: StateDep, user: CurrentUser) -> PositionsPublic:
    """Net quantity and quote spent per symbol, from the caller's fills; by venue then symbol."""
    return PositionsPublic(data=[PositionPublic.of(p) for p in await state.trading.positions(user.sub)])


@router.get("/balances", response_model=BalancesPublic)
async def list_balances(state: StateDep, user: CurrentUser) -> BalancesPublic:
    """The caller's assets as each venue last reported them; by venue then asset."""
    return BalancesPublic(data=[BalancePublic.of(b) for b in await state.trading.balances(user.sub)])


@router.get("/pnl", response_model=PnlPublic)
async def get_pnl(state: StateDep, user: CurrentUser) -> PnlPublic:
    """Realised and unrealised P&L per symbol at the latest stored price, with totals per quote.

    Realised comes from the fills at average cost; realised + unrealised is exactly the position
    marked at the price (``quantity * price - quote_spent``).
    """
    positions = [
        PositionLine(p.venue, p.symbol, p.quantity, p.quote_spent)
        for p in await state.trading.positions(user.sub)
    ]
    fills = [
        FillLine(f.venue, f.symbol, f.side, f.quantity, f.price, f.commission, f.commission_asset)
        for f in await state.trading.all_fills(user.sub)
    ]
    prices = await state.trading.latest_prices(user.sub, [(p.venue, p.symbol) for p in positions])
    marks = {market: Mark(latest.price, latest.at) for market, latest in prices.items()}
    markets = market_pnl(positions, fills, marks)
    return PnlPublic(
        markets=[MarketPnlPublic.of(m) for m in markets],
        totals=[QuoteTotalsPublic.of(t) for t in totals(markets)],
    )
