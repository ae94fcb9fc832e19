"""A signed-in user's own trading data, read as that user: intents, orders, fills, portfolio.

Every read runs in ``user_session`` with the user's claims, so row-level security decides what is
visible: a query that names another user's id finds nothing, exactly as if the id did not exist.
Lists are newest first and paged by ``limit``/``offset``; ids break ties so pages never overlap.
Orders, fills, positions and balances come back as detached ORM rows (the executor's types).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Text, column, select, true, values
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.market import MarketCandle
from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Balance, Position
from shared.db.models.risk import IntentRow
from shared.db.repositories.intents import IntentRecord
from shared.db.tenancy import claims_for, user_session
from shared.domain.enums import DecisionOutcome, OrderStatus

PRICE_INTERVAL = "1m"
"""The candles whose last close is a symbol's latest stored price (the finest the feed keeps)."""


@dataclass(frozen=True, slots=True)
class LatestPrice:
    price: Decimal
    at: datetime
    """Close time of the candle the price comes from."""


class UserTradingRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    # -- INTENTS -----------------------------------------------------------------------------------

    async def intents(
        self, user_id: uuid.UUID, *, status: DecisionOutcome | None = None, limit: int, offset: int = 0
    ) -> list[IntentRecord]:
        """The user's intents, newest first; ``status=pending`` is the approval queue."""
        query = select(IntentRow).order_by(IntentRow.created_at.desc(), IntentRow.intent_id.desc())
        if status is not None:
            query = query.where(IntentRow.status == status.value)
        rows = await self._all(user_id, query.limit(limit).offset(offset))
        return [IntentRecord.of(row) for row in rows]

    async def intent(self, user_id: uuid.UUID, intent_id: str) -> IntentRecord | None:
        rows = await self._all(user_id, select(IntentRow).where(IntentRow.intent_id == intent_id))
        return IntentRecord.of(rows[0]) if rows else None

    # -- ORDERS AND FILLS --------------------------------------------------------------------------

    async def orders(
        self,
        user_id: uuid.UUID,
        *,
        status: OrderStatus | None = None,
        symbol: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[Order]:
        query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
        if status is not None:
            query = query.where(Order.status == status.value)
        if symbol is not None:
            query = query.where(Order.symbol == symbol)
        return await self._all(user_id, query.limit(limit).offset(offset))

    async def order(self, user_id: uuid.UUID, order_id: uuid.UUID) -> tuple[Order, list[Fill]] | None:
        """The order with its fills, oldest fill first; None when the user has no such order."""
        async with self._session(user_id) as session:
            order = await session.scalar(select(Order).where(Order.id == order_id))
            if order is None:
                return None
            fills = await session.scalars(
                select(Fill).where(Fill.order_id == order_id).order_by(Fill.traded_at, Fill.id)
            )
            return order, list(fills)

    async def fills(
        self,
        user_id: uuid.UUID,
        *,
        symbol: str | None = None,
        order_id: uuid.UUID | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[Fill]:
        query = select(Fill).order_by(Fill.traded_at.desc(), Fill.id.desc())
        if symbol is not None:
            query = query.where(Fill.symbol == symbol)
        if order_id is not None:
            query = query.where(Fill.order_id == order_id)
        return await self._all(user_id, query.limit(limit).offset(offset))

    async def all_fills(self, user_id: uuid.UUID) -> list[Fill]:
        """Every fill of the user, oldest first: the history a cost basis is computed from."""
        return await self._all(user_id, select(Fill).order_by(Fill.traded_at, Fill.id))

    # -- PORTFOLIO ---------------------------------------------------------------------------------

    async def positions(self, user_id: uuid.UUID) -> list[Position]:
        return await self._all(user_id, select(Position).order_by(Position.venue, Position.symbol))

    async def balances(self, user_id: uuid.UUID) -> list[Balance]:
        return await self._all(user_id, select(Balance).order_by(Balance.venue, Balance.asset))

    async def latest_prices(
        self, user_id: uuid.UUID, markets: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], LatestPrice]:
        """The last stored close of each (venue, symbol); markets without candles are left out."""
        if not markets:
            return {}
        # One backward step down the primary key per market (LATERAL … LIMIT 1): cheap however
        # many candles are stored, and no plan that rescans them when statistics are stale.
        wanted = values(column("venue", Text), column("symbol", Text), name="wanted").data(list(markets))
        newest = (
            select(MarketCandle.close, MarketCandle.close_time)
            .where(
                MarketCandle.venue == wanted.c.venue,
                MarketCandle.symbol == wanted.c.symbol,
                MarketCandle.interval == PRICE_INTERVAL,
            )
            .order_by(MarketCandle.open_time.desc())
            .limit(1)
            .lateral("newest")
        )
        query = select(wanted.c.venue, wanted.c.symbol, newest.c.close, newest.c.close_time).select_from(
            wanted.join(newest, true())
        )
        async with self._session(user_id) as session:
            rows = await session.execute(query)
            return {(venue, symbol): LatestPrice(close, at) for venue, symbol, close, at in rows}

    # -- PLUMBING ----------------------------------------------------------------------------------

    def _session(self, user_id: uuid.UUID) -> AbstractAsyncContextManager[AsyncSession]:
        return user_session(self._sessionmaker, claims_for(user_id))

    async def _all(self, user_id: uuid.UUID, query: Select[Any]) -> list[Any]:
        async with self._session(user_id) as session:
            return list((await session.scalars(query)).all())


__all__ = ["PRICE_INTERVAL", "LatestPrice", "UserTradingRepository"]
