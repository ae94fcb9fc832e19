"""Market data for the chart: the symbols on offer and their closed candles."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from services.api_gateway.api.deps import StateDep
from services.api_gateway.errors import ERROR_RESPONSES, ApiError
from services.api_gateway.read_json import json_response
from services.api_gateway.schemas import CandlesPublic, SymbolsPublic
from shared.domain.intervals import Interval, parse_interval
from shared.domain.symbols import InvalidSymbol, normalize_symbol

router = APIRouter(prefix="/market", tags=["market"], responses=ERROR_RESPONSES)

CHART_INTERVALS = (Interval.M1, Interval.M5, Interval.H1, Interval.D1)


def resolve_symbol(text: str, listed: tuple[str, ...]) -> str:
    """Return the listed ``BASE/QUOTE`` symbol for ``text``, or raise a 4xx saying why."""
    try:
        symbol = normalize_symbol(text)
    except InvalidSymbol as e:
        raise ApiError(400, "invalid_symbol", str(e)) from None
    if symbol not in listed:
        raise ApiError(404, "unknown_symbol", f"{symbol} is not listed; listed: {', '.join(listed)}")
    return symbol


def resolve_interval(text: str, offered: tuple[str, ...]) -> Interval:
    try:
        interval = parse_interval(text)
    except ValueError as e:
        raise ApiError(400, "unknown_interval", str(e)) from None
    if interval.value not in offered:
        raise ApiError(400, "unknown_interval", f"expected one of {', '.join(offered)}, was {text!r}")
    return interval


@router.get("/symbols", response_model=SymbolsPublic)
async def list_symbols(state: StateDep) -> SymbolsPublic:
    """The symbols and chart intervals the gateway serves."""
    return SymbolsPublic(
        venue=state.settings.gateway_venue,
        symbols=list(state.settings.gateway_symbols),
        intervals=[i.value for i in CHART_INTERVALS],
    )


@router.get("/candles", response_model=CandlesPublic)
async def list_candles(
    state: StateDep,
    symbol: Annotated[str, Query(examples=["BTC/USDT"], description="BASE/QUOTE")],
    interval: Annotated[str, Query(examples=["1m"])] = "1m",
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Closed candles, oldest first; the live forming candle comes over ``/api/ws`` as trades."""
    resolved = resolve_symbol(symbol, state.settings.gateway_symbols)
    chosen = resolve_interval(interval, tuple(i.value for i in CHART_INTERVALS))
    candles = await state.reads.candles_json(state.settings.gateway_venue, resolved, chosen.value, limit)
    # Serialised by the database, not through the response model: hundreds of candles a request,
    # each validated twice by pydantic, were most of the gateway's CPU. The shape is CandlesPublic's.
    return json_response({"symbol": resolved, "interval": chosen.value, "candles": orjson.Fragment(candles)})
