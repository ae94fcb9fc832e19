"""Balances the venue reports and reconciliation checkpoints, written by the executor (and, once,
by the gateway: the starting balances of a paper account it opened)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.portfolio import Balance, ReconciliationCheckpoint
from shared.db.tenancy import service_session


class PortfolioRepository:
    """Balances and checkpoints; every method is one committed ``service_role`` transaction."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def save_balances(
        self, user_id: uuid.UUID, venue: str, balances: dict[str, tuple[Decimal, Decimal]]
    ) -> None:
        """Replace the venue's reported balances (free, locked) of these assets."""
        if not balances:
            return
        rows = [
            {"user_id": user_id, "venue": venue, "asset": asset, "free": free, "locked": locked}
            for asset, (free, locked) in balances.items()
        ]
        statement = insert(Balance).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "venue", "asset"],
            set_={
                "free": statement.excluded.free,
                "locked": statement.excluded.locked,
                "updated_at": func.now(),
            },
        )
        async with service_session(self._sessionmaker) as session:
            await session.execute(statement)

    async def checkpoint(self, user_id: uuid.UUID, venue: str, symbol: str) -> datetime | None:
        async with service_session(self._sessionmaker) as session:
            return await session.scalar(
                select(ReconciliationCheckpoint.fills_until).where(
                    ReconciliationCheckpoint.user_id == user_id,
                    ReconciliationCheckpoint.venue == venue,
                    ReconciliationCheckpoint.symbol == symbol,
                )
            )

    async def save_checkpoint(self, user_id: uuid.UUID, venue: str, symbol: str, until: datetime) -> None:
        statement = insert(ReconciliationCheckpoint).values(
            user_id=user_id, venue=venue, symbol=symbol, fills_until=until
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "venue", "symbol"],
            set_={
                "fills_until": func.greatest(
                    ReconciliationCheckpoint.fills_until, statement.excluded.fills_until
                ),
                "updated_at": func.now(),
            },
        )
        async with service_session(self._sessionmaker) as session:
            await session.execute(statement)


__all__ = ["PortfolioRepository"]
