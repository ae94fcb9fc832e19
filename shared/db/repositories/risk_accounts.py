"""Per-user trading mode, reduce-only flag and equity high-water mark; the row is the user's lock.

The gate decides inside ``lock(session, user_id)``: every replica that decides for the same user
queues on the same row, so limits that add up across intents (exposure, open orders, throttles)
are checked against what the previous decision left, never against a snapshot both replicas saw.
Mode and reduce-only changes take the same lock, so they never land in the middle of a decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import RiskAccountRow
from shared.db.repositories.risk_audit import record
from shared.db.tenancy import service_session
from shared.domain.enums import TradingMode


class ConfirmationRequired(ValueError):
    """Autonomous mode lets orders out without a person; turning it on must be confirmed."""


@dataclass(frozen=True, slots=True)
class RiskAccount:
    user_id: uuid.UUID
    mode: TradingMode = TradingMode.MANUAL
    reduce_only: bool = False
    reduce_only_since: datetime | None = None
    day: date | None = None
    """The UTC day ``day_high_water`` belongs to; a new day starts a new mark."""
    day_high_water: Decimal | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, row: RiskAccountRow) -> RiskAccount:
        return account_of(row)


_ACCOUNTS = cast(Table, RiskAccountRow.__table__)
# Core statements on the table, built once: the lock is on every decision's path.
_LOCK = select(_ACCOUNTS).where(_ACCOUNTS.c.user_id == bindparam("user_id")).with_for_update()
_CREATE = (
    insert(_ACCOUNTS).values(user_id=bindparam("user_id")).on_conflict_do_nothing(index_elements=["user_id"])
)
_HIGH_WATER = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.user_id == bindparam("account"))
    .values(updated_at=func.now())
    .execution_options(synchronize_session=False)
)


def account_of(row: Any) -> RiskAccount:
    """From a row holding ``RiskAccountRow``'s columns (ORM entity or Core row)."""
    return RiskAccount(
        row.user_id, TradingMode(row.mode), row.reduce_only, row.reduce_only_since,
        row.day, row.day_high_water, row.updated_at,
    )  # fmt: skip


async def lock(session: AsyncSession, user_id: uuid.UUID) -> RiskAccount:
    """Create the user's row if missing, then lock it until ``session``'s transaction ends.

    One Core statement when the row exists (every decision but a user's first). Otherwise
    ``ON CONFLICT DO NOTHING`` makes the first decision of two replicas race-safe: one inserts,
    the other finds the row, and both then queue on ``FOR UPDATE``.
    """
    params = {"user_id": user_id}
    row = (await session.execute(_LOCK, params)).first()
    if row is None:
        await session.execute(_CREATE, params)
        row = (await session.execute(_LOCK, params)).first()
    assert row is not None
    return account_of(row)


async def _write(session: AsyncSession, user_id: uuid.UUID, **values: object) -> RiskAccount:
    row = await session.scalar(
        update(RiskAccountRow)
        .where(RiskAccountRow.user_id == user_id)
        .values(**values, updated_at=func.now())
        .returning(RiskAccountRow)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return RiskAccount.of(row)


async def change_mode(
    session: AsyncSession, user_id: uuid.UUID, mode: TradingMode, actor: str, *, confirmed: bool
) -> RiskAccount:
    """In ``session``'s transaction, under the lock; audited when the mode actually changes."""
    if mode is TradingMode.AUTONOMOUS and not confirmed:
        raise ConfirmationRequired("autonomous mode sends orders without approval: confirm to turn it on")
    account = await lock(session, user_id)
    if account.mode is mode:
        return account
    changed = await _write(session, user_id, mode=mode.value)
    details = {"old": account.mode, "new": mode, "confirmed": confirmed}
    await record(session, user_id, actor, "risk_account.mode", details)
    return changed


async def change_reduce_only(
    session: AsyncSession, user_id: uuid.UUID, on: bool, actor: str, reason: str
) -> RiskAccount:
    """In ``session``'s transaction, under the lock: the gate's own switch when the daily loss hits."""
    account = await lock(session, user_id)
    if account.reduce_only is on:
        return account
    since = func.now() if on else None
    changed = await _write(session, user_id, reduce_only=on, reduce_only_since=since)
    details = {"old": account.reduce_only, "new": on, "reason": reason}
    await record(session, user_id, actor, "risk_account.reduce_only", details)
    return changed


async def move_high_water(session: AsyncSession, user_id: uuid.UUID, day: date, high_water: Decimal) -> None:
    """Store the day's equity high-water mark (not audited: it is a measurement, not a decision)."""
    await session.execute(_HIGH_WATER, {"account": user_id, "day": day, "day_high_water": high_water})


class RiskAccountRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def get(self, user_id: uuid.UUID) -> RiskAccount:
        """Read without locking or creating: a user never seen is in manual mode."""
        async with service_session(self._sessionmaker) as session:
            row = await session.get(RiskAccountRow, user_id)
            return RiskAccount(user_id) if row is None else RiskAccount.of(row)

    async def set_mode(
        self, user_id: uuid.UUID, mode: TradingMode, actor: str, confirmed: bool = False
    ) -> RiskAccount:
        """Raise ``ConfirmationRequired`` for autonomous without ``confirmed``; manual needs none."""
        async with service_session(self._sessionmaker) as session:
            return await change_mode(session, user_id, mode, actor, confirmed=confirmed)

    async def set_reduce_only(
        self, user_id: uuid.UUID, on: bool, actor: str, reason: str = ""
    ) -> RiskAccount:
        async with service_session(self._sessionmaker) as session:
            return await change_reduce_only(session, user_id, on, actor, reason)


__all__ = [
    "ConfirmationRequired",
    "RiskAccount",
    "RiskAccountRepository",
    "change_mode",
    "change_reduce_only",
    "lock",
    "move_high_water",
]
