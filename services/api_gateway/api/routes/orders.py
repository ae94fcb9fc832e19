"""The caller's orders (each with its fills) and fills, read as the caller (row-level security):
another user's order id is a 404, exactly like an unknown one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError
from services.api_gateway.pagination import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from services.api_gateway.read_json import json_response, page_json
from services.api_gateway.trading_schemas import SYMBOL_INPUT_REGEX, FillPublic, OrderDetail, OrderPublic
from shared.domain.enums import OrderStatus
from shared.domain.symbols import InvalidSymbol, normalize_symbol

router = APIRouter(tags=["orders"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

SymbolQuery = Annotated[
    str | None,
    Query(
        pattern=SYMBOL_INPUT_REGEX,
        examples=["BTC/USDT"],
        description="Only this symbol: BASE/QUOTE (also BTCUSDT, btc-usdt).",
    ),
]


def symbol_filter(text: str | None) -> str | None:
    """The ``BASE/QUOTE`` form of a symbol filter, or a 400 saying why it is none."""
    if text is None:
        return None
    try:
        return normalize_symbol(text)
    except InvalidSymbol as e:
        raise ApiError(400, "invalid_symbol", str(e)) from None


@router.get("/orders", response_model=Page[OrderPublic])
async def list_orders(
    state: StateDep,
    user: CurrentUser,
    status: Annotated[OrderStatus | None, Query(description="Only orders with this status.")] = None,
    symbol: SymbolQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """The caller's orders, newest first."""
    rows = await state.reads.orders(
        user.sub,
        status=None if status is None else status.value,
        symbol=symbol_filter(symbol),
        limit=limit + 1,
        offset=offset,
    )
    return json_response(page_json(rows, limit, offset))


@router.get("/orders/{order_id}", response_model=OrderDetail)
async def get_order(
    state: StateDep, user: CurrentUser, order_id: Annotated[uuid.UUID, Path(description="The order's id.")]
) -> OrderDetail:
    """One of the caller's orders with its fills, oldest fill first."""
    found = await state.trading.order(user.sub, order_id)
    if found is None:
        raise ApiError(404, "order_not_found", f"no order {order_id}")
    return OrderDetail.with_fills(*found)


@router.get("/fills", response_model=Page[FillPublic])
async def list_fills(
    state: StateDep,
    user: CurrentUser,
    symbol: SymbolQuery = None,
    order_id: Annotated[uuid.UUID | None, Query(description="Only fills of this order.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[FillPublic]:
    """The caller's fills, newest first."""
    rows = await state.trading.fills(
        user.sub, symbol=symbol_filter(symbol), order_id=order_id, limit=limit + 1, offset=offset
    )
    return page_of(rows, limit, offset, FillPublic.of)
