"""One user's trading records, read under that user's claims: balances, positions, orders, fills.

Every read runs in a ``user_session`` (role ``authenticated``, ``sub`` = the user), so row-level
security keeps it to the user's rows even if a filter here were wrong: the copilot's tools read
through this, never through the executor's ``service_role`` stores.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Balance, Position
from shared.db.tenancy import claims_for, user_session
from shared.domain.order_fsm import OPEN

MAX_ROWS = 1000
"""Rows one read returns at most: a chat answer or a chart shows no more."""

_OPEN = sorted(status.value for status in OPEN)
T = TypeVar("T")


class AccountReader:
    """Read-only views of one user's account on one venue; one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def balances(self, user_id: uuid.UUID, venue: str) -> list[Balance]:
        """The venue's last reported balances, by asset."""
        query = select(Balance).where(Balance.venue == venue).order_by(Balance.asset)
        return await self._rows(user_id, query)

    async def positions(self, user_id: uuid.UUID, venue: str) -> list[Position]:
        query = select(Position).where(Position.venue == venue).order_by(Position.symbol)
        return await self._rows(user_id, query)

    async def open_orders(self, user_id: uuid.UUID, venue: str, symbol: str | None = None) -> list[Order]:
        """Orders the venue may still fill or cancel, oldest first."""
        query = select(Order).where(Order.venue == venue, Order.status.in_(_OPEN))
        if symbol is not None:
            query = query.where(Order.symbol == symbol)
        return await self._rows(user_id, query.order_by(Order.created_at).limit(MAX_ROWS))

    async def orders_between(
        self, user_id: uuid.UUID, venue: str, symbol: str, start: datetime, end: datetime
    ) -> list[Order]:
        """Orders of ``symbol`` created in ``[start, end)``, oldest first (at most ``MAX_ROWS``)."""
        query = (
            select(Order)
            .where(Order.venue == venue, Order.symbol == symbol)
            .where(Order.created_at >= start, Order.created_at < end)
            .order_by(Order.created_at)
            .limit(MAX_ROWS)
        )
        return await self._rows(user_id, query)

    async def fills(
        self,
        user_id: uuid.UUID,
        venue: str,
        symbols: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Fill]:
        """Fills in trade order; all of the user's on ``venue`` unless narrowed by symbol or time.

        Without a window every fill is returned (a position's cost basis needs its whole history).
        """
        query = select(Fill).where(Fill.venue == venue)
        if symbols is not None:
            query = query.where(Fill.symbol.in_(list(symbols)))
        if start is not None:
            query = query.where(Fill.traded_at >= start)
        if end is not None:
            query = query.where(Fill.traded_at < end)
        query = query.order_by(Fill.traded_at, Fill.trade_id)
        if start is not None:
            query = query.limit(MAX_ROWS)
        return await self._rows(user_id, query)

    async def _rows(self, user_id: uuid.UUID, query: Select[T]) -> list[T]:
        async with user_session(self._sessionmaker, claims_for(user_id)) as session:
            return list((await session.scalars(query)).all())


__all__ = ["MAX_ROWS", "AccountReader"]
