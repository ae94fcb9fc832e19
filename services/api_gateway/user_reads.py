"""The read routes' queries over plain asyncpg, each route's in one transaction as the caller.

Lists come back as rows already shaped as the API's items (``*_ITEM``: the response model's
fields, decimals as plain text, ids as text), so a route only wraps them and serialises once.

``tenant_pool.as_user`` sets role and claims as the transaction begins, so row-level
security limits every query here to the caller's rows (no ``WHERE user_id``: a query that forgot
it could still see nothing else). The order and paging are ``UserTradingRepository``'s: newest
first, ids breaking ties. Each variant of a filtered query is its own constant text, so asyncpg
prepares it once per connection and PostgreSQL plans it for the filters it really has.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.db.repositories.user_trading import PRICE_INTERVAL
from shared.db.tenant_pool import as_anon, as_user
from shared.domain.pnl import FillLine, Mark, PositionLine


def _plain(column: str) -> str:
    # The decimal's text without trailing zeros: PostgreSQL never writes a numeric with an
    # exponent, so this is ``plain_decimal``'s text, made where it is cheapest.
    return f"trim_scale({column})::text AS {column}"


ORDER_ITEM = ", ".join(
    (
        "id::text AS id", "venue", "symbol", "side", "order_type", "time_in_force", "intent_id",
        "client_order_id", _plain("requested_qty"), _plain("requested_quote_qty"), _plain("limit_price"),
        "status", "reject_reason", "venue_order_id", _plain("filled_qty"), _plain("filled_quote_qty"),
        _plain("avg_price"), "created_at", "updated_at",
    )
)  # fmt: skip
"""An ``orders`` row as ``OrderPublic``'s JSON (its fields, in its order)."""
INTENT_ITEM = ", ".join(
    (
        "intent_id", "source", "rule_id", "venue", "symbol", "side", "order_type", _plain("quantity"),
        _plain("quote_quantity"), _plain("limit_price"), "digest", _plain("reference_price"), "status",
        'check_name AS "check"', "reason", "decided_by", "created_at", "decided_at", "expires_at",
        "client_order_id",
    )
)  # fmt: skip
"""An ``intents`` row as ``IntentPublic``'s JSON."""
POSITION_ITEM = f"venue, symbol, {_plain('quantity')}, {_plain('quote_spent')}, updated_at"
"""A ``positions`` row as ``PositionPublic``'s JSON."""


def _filtered(table: str, columns: str, filters: Sequence[str], order: str) -> str:
    where = " AND ".join(f"{name} = ${n}" for n, name in enumerate(filters, start=1))
    paging = f"LIMIT ${len(filters) + 1} OFFSET ${len(filters) + 2}"
    where = f" WHERE {where}" if where else ""
    return f"SELECT {columns} FROM {table}{where} ORDER BY {order} {paging}"


_ORDERS = {
    (status, symbol): _filtered(
        "orders",
        ORDER_ITEM,
        [name for name, on in (("status", status), ("symbol", symbol)) if on],
        "orders.created_at DESC, orders.id DESC",  # qualified: the uuid, not the ``id`` text above
    )
    for status in (False, True)
    for symbol in (False, True)
}
_INTENTS = {
    status: _filtered("intents", INTENT_ITEM, ["status"] if status else [], "created_at DESC, intent_id DESC")
    for status in (False, True)
}
_POSITION_ITEMS = f"SELECT {POSITION_ITEM} FROM positions ORDER BY venue, symbol"
_POSITIONS = "SELECT venue, symbol, quantity, quote_spent FROM positions ORDER BY venue, symbol"
_COST_FILLS = (
    "SELECT venue, symbol, side, quantity, price, commission, commission_asset"
    " FROM fills ORDER BY traded_at, id"
)
_LATEST_PRICES = f"""
SELECT w.venue, w.symbol, n.close, n.close_time
FROM unnest($1::text[], $2::text[]) AS w(venue, symbol)
CROSS JOIN LATERAL (
    SELECT close, close_time FROM market_candles c
    WHERE c.venue = w.venue AND c.symbol = w.symbol AND c.interval = '{PRICE_INTERVAL}'
    ORDER BY c.open_time DESC LIMIT 1
) n"""
"""One backward step down the primary key per market, as ``UserTradingRepository.latest_prices``."""
_CANDLES = """
SELECT coalesce(json_agg(json_build_object(
    'open_time', floor(extract(epoch FROM open_time) * 1000)::bigint,
    'open', trim_scale(open)::text, 'high', trim_scale(high)::text, 'low', trim_scale(low)::text,
    'close', trim_scale(close)::text, 'volume', trim_scale(volume)::text, 'closed', true
) ORDER BY open_time), '[]')::text
FROM (
    SELECT open_time, open, high, low, close, volume FROM market_candles
    WHERE venue = $1 AND symbol = $2 AND interval = $3
    ORDER BY open_time DESC LIMIT $4
) newest"""
"""``CandlePublic``'s JSON of the latest candles, oldest first, made by the database: hundreds of
candles a request, and PostgreSQL writes a ``numeric`` as plain text (``trim_scale``: no trailing
zeros; never an exponent) and the JSON around it in C, where Python would decode each into a
``Decimal``, format it back and build a dict per candle."""


@dataclass(frozen=True, slots=True)
class PnlInputs:
    """What ``/api/pnl`` computes from, read in one transaction."""

    positions: list[PositionLine]
    fills: list[FillLine]
    marks: dict[tuple[str, str], Mark]


class UserReads:
    """The caller's orders, intents, positions (each row its item's JSON) and P&L inputs (exact
    decimals, for the arithmetic), and the public candles."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def orders(
        self, user_id: uuid.UUID, *, status: str | None, symbol: str | None, limit: int, offset: int
    ) -> list[asyncpg.Record]:
        arguments = [value for value in (status, symbol) if value is not None]
        async with as_user(self._pool, user_id) as connection:
            query = _ORDERS[(status is not None, symbol is not None)]
            rows: list[asyncpg.Record] = await connection.fetch(query, *arguments, limit, offset)
            return rows

    async def intents(
        self, user_id: uuid.UUID, *, status: str | None, limit: int, offset: int
    ) -> list[asyncpg.Record]:
        arguments = [] if status is None else [status]
        async with as_user(self._pool, user_id) as connection:
            rows: list[asyncpg.Record] = await connection.fetch(
                _INTENTS[status is not None], *arguments, limit, offset
            )
            return rows

    async def positions(self, user_id: uuid.UUID) -> list[asyncpg.Record]:
        async with as_user(self._pool, user_id) as connection:
            rows: list[asyncpg.Record] = await connection.fetch(_POSITION_ITEMS)
            return rows

    async def pnl_inputs(self, user_id: uuid.UUID) -> PnlInputs:
        """Positions, every fill oldest first (the cost basis) and the latest stored price of each
        position's market, in one transaction (one snapshot per statement, as READ COMMITTED reads)."""
        async with as_user(self._pool, user_id) as connection:
            positions = [PositionLine(*r) for r in await connection.fetch(_POSITIONS)]
            fills = [FillLine(*r) for r in await connection.fetch(_COST_FILLS)]
            marks: dict[tuple[str, str], Mark] = {}
            if positions:
                venues, symbols = [p.venue for p in positions], [p.symbol for p in positions]
                for venue, symbol, close, at in await connection.fetch(_LATEST_PRICES, venues, symbols):
                    marks[(venue, symbol)] = Mark(close, at)
        return PnlInputs(positions, fills, marks)

    async def candles_json(self, venue: str, symbol: str, interval: str, limit: int) -> str:
        """The latest ``limit`` candles as a JSON array of ``CandlePublic``, oldest first, read as
        ``anon`` (candles are public)."""
        async with as_anon(self._pool) as connection:
            text: str = await connection.fetchval(_CANDLES, venue, symbol, interval, limit)
            return text


__all__ = ["PnlInputs", "UserReads"]
