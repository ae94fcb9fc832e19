"""Standing rules: created and managed for users, loaded and fired by the rules engine.

The repository stores a rule's definition as JSON and does not interpret it (``shared`` knows no
parser); the engine validates it on load. Firing is one compare-and-set transaction: the rule
moves only from the ``fires`` count the engine saw, while active, and not while a kill switch or
the gate's rule throttle stops its user; the firing's intent is stored in the same transaction
(the outbox), so a firing is never lost between commit and publish, nor made twice.

A user may hold at most ``max_live`` rules that can still fire (active or paused): every rule
costs the engine memory and a place in its indexes, so one account must not be able to fill
them. The count and the insert run under a per-user advisory lock, so two creates at once (the
chat and the web app, or two replicas) cannot both take the last place.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import DisabledRule
from shared.db.models.rules import RuleFiring, RuleRow
from shared.db.repositories.kill_switches import engaged_for
from shared.db.tenancy import service_session


class RuleStatus(StrEnum):
    """``fired`` is final for a fire-once rule (the default); a repeating rule stays ``active``."""

    ACTIVE = "active"
    PAUSED = "paused"
    FIRED = "fired"
    DELETED = "deleted"


class FireOutcome(StrEnum):
    FIRED = "fired"
    KILLED = "killed"
    """A kill switch (global or the user's) is engaged: rules are paused, nothing fires."""
    DISABLED = "disabled"
    """The risk gate disabled the rule (too many executions) and it was not re-enabled."""
    STALE = "stale"
    """The rule is no longer active, or fired already: another replica or a restart got there first."""


LIVE_STATUSES = (RuleStatus.ACTIVE.value, RuleStatus.PAUSED.value)
_RULES_LOCK_SPACE = 0x52554C45
"""First key of the advisory lock (\"RULE\"): keeps it apart from any other lock of a user."""


class TooManyRules(Exception):
    """The user already holds the most live rules allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already have the most standing rules allowed ({limit} active or paused): delete one first"
        )
        self.limit = limit


def _lock_key(user_id: uuid.UUID) -> int:
    """A signed 32-bit key from the user id (a collision only makes two users' creates queue)."""
    return (user_id.int & 0xFFFFFFFF) - (1 << 31)


async def insert_rule(session: AsyncSession, values: dict[str, Any], max_live: int | None) -> RuleRow:
    """Insert a rule of ``values`` (only the columns a user may set, so it also runs as the user)
    unless its user already holds ``max_live`` live rules: then raise ``TooManyRules``."""
    user_id: uuid.UUID = values["user_id"]
    if max_live is not None:
        await session.execute(select(func.pg_advisory_xact_lock(_RULES_LOCK_SPACE, _lock_key(user_id))))
        live = await session.scalar(
            select(func.count())
            .select_from(RuleRow)
            .where(RuleRow.user_id == user_id, RuleRow.status.in_(LIVE_STATUSES))
        )
        if (live or 0) >= max_live:
            raise TooManyRules(max_live)
    row: RuleRow | None = await session.scalar(insert(RuleRow).values(**values).returning(RuleRow))
    assert row is not None
    return row


@dataclass(frozen=True, slots=True)
class RuleRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    venue: str
    symbol: str
    definition: dict[str, Any]
    status: RuleStatus
    fire_once: bool
    fires: int
    last_fired_at: datetime | None
    last_intent_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RuleRow) -> RuleRecord:
        return cls(
            id=row.id, user_id=row.user_id, venue=row.venue, symbol=row.symbol, definition=row.definition,
            status=RuleStatus(row.status), fire_once=row.fire_once, fires=row.fires,
            last_fired_at=row.last_fired_at, last_intent_id=row.last_intent_id,
            created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Firing:
    """What the engine asks to commit: the rule moves from ``seq - 1`` fires to ``seq``."""

    rule_id: uuid.UUID
    user_id: uuid.UUID
    seq: int
    intent_id: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class Unpublished:
    intent_id: str
    subject: str
    message: str


# Which status a move may start from: pausing a fired rule or resuming a deleted one is refused.
_MOVES: dict[RuleStatus, tuple[RuleStatus, ...]] = {
    RuleStatus.PAUSED: (RuleStatus.ACTIVE,),
    RuleStatus.ACTIVE: (RuleStatus.PAUSED,),
    RuleStatus.DELETED: (RuleStatus.ACTIVE, RuleStatus.PAUSED, RuleStatus.FIRED),
}


async def fire(session: AsyncSession, firing: Firing) -> FireOutcome:
    """In ``session``'s transaction: mark the rule fired and store its intent, or say why not."""
    if await engaged_for(session, firing.user_id) is not None:
        return FireOutcome.KILLED
    stopped = exists().where(
        DisabledRule.user_id == firing.user_id,
        DisabledRule.rule_id == str(firing.rule_id),
        DisabledRule.re_enabled_at.is_(None),
    )
    if await session.scalar(select(stopped)):
        return FireOutcome.DISABLED
    moved = await session.scalar(
        update(RuleRow)
        .where(
            RuleRow.id == firing.rule_id,
            RuleRow.status == RuleStatus.ACTIVE.value,
            RuleRow.fires == firing.seq - 1,
        )
        .values(
            fires=firing.seq,
            status=case((RuleRow.fire_once, RuleStatus.FIRED.value), else_=RuleRow.status),
            last_fired_at=func.now(),
            last_intent_id=firing.intent_id,
        )
        .returning(RuleRow.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        return FireOutcome.STALE
    session.add(
        RuleFiring(
            intent_id=firing.intent_id, rule_id=firing.rule_id, user_id=firing.user_id, seq=firing.seq,
            subject=firing.subject, message=firing.message,
        )
    )  # fmt: skip
    await session.flush()
    return FireOutcome.FIRED


async def move(session: AsyncSession, rule_id: uuid.UUID, to: RuleStatus) -> bool:
    """In ``session``'s transaction: move the rule to ``to`` if its status allows; False otherwise.

    Names no user: in a user's session row-level security limits it to that user's rules.
    """
    moved = await session.scalar(
        update(RuleRow)
        .where(RuleRow.id == rule_id, RuleRow.status.in_([status.value for status in _MOVES[to]]))
        .values(status=to.value)
        .returning(RuleRow.id)
        .execution_options(synchronize_session=False)
    )
    return moved is not None


class RuleRepository:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, max_live: int | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._max_live = max_live

    async def create(
        self,
        user_id: uuid.UUID,
        *,
        symbol: str,
        definition: dict[str, Any],
        venue: str = "paper",
        fire_once: bool = True,
    ) -> RuleRecord:
        """Store an active rule; the caller has validated ``definition`` (the engine's ``check``).

        Raise ``TooManyRules`` when the user holds ``max_live`` live rules already."""
        values = {"user_id": user_id, "venue": venue, "symbol": symbol, "definition": definition}
        async with service_session(self._sessionmaker) as session:
            row = await insert_rule(session, {**values, "fire_once": fire_once}, self._max_live)
            return RuleRecord.of(row)

    async def get(self, rule_id: uuid.UUID) -> RuleRecord | None:
        async with service_session(self._sessionmaker) as session:
            row = await session.get(RuleRow, rule_id)
            return None if row is None else RuleRecord.of(row)

    async def list(self, user_id: uuid.UUID) -> builtins.list[RuleRecord]:
        """The user's rules that are not deleted, oldest first."""
        query = (
            select(RuleRow)
            .where(RuleRow.user_id == user_id, RuleRow.status != RuleStatus.DELETED.value)
            .order_by(RuleRow.created_at, RuleRow.id)
        )
        return await self._records(query)

    async def pause(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        """Active → paused; False when the rule was not active (or is not the user's)."""
        return await self._move(user_id, rule_id, RuleStatus.PAUSED)

    async def resume(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        """Paused → active; a level that holds on resuming fires at once."""
        return await self._move(user_id, rule_id, RuleStatus.ACTIVE)

    async def delete(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        """Soft delete: the row stays, with its firings, for the audit."""
        return await self._move(user_id, rule_id, RuleStatus.DELETED)

    async def active(self, venue: str) -> builtins.list[RuleRecord]:
        query = select(RuleRow).where(RuleRow.venue == venue, RuleRow.status == RuleStatus.ACTIVE.value)
        return await self._records(query)

    async def changed_since(self, venue: str, since: datetime) -> builtins.list[RuleRecord]:
        """Every rule of ``venue`` changed at or after ``since``, whatever its status now."""
        query = select(RuleRow).where(RuleRow.venue == venue, RuleRow.updated_at >= since)
        return await self._records(query.order_by(RuleRow.updated_at))

    async def fire(self, firing: Firing) -> FireOutcome:
        async with service_session(self._sessionmaker) as session:
            return await fire(session, firing)

    async def firings(self, rule_id: uuid.UUID) -> builtins.list[RuleFiring]:
        async with service_session(self._sessionmaker) as session:
            query = select(RuleFiring).where(RuleFiring.rule_id == rule_id).order_by(RuleFiring.seq)
            return builtins.list((await session.scalars(query)).all())

    async def unpublished(
        self, venue: str, older_than: timedelta = timedelta(0)
    ) -> builtins.list[Unpublished]:
        """Firings committed but not acknowledged by JetStream (a crash came between), oldest first."""
        query = (
            select(RuleFiring.intent_id, RuleFiring.subject, RuleFiring.message)
            .join(RuleRow, RuleRow.id == RuleFiring.rule_id)
            .where(
                RuleFiring.published_at.is_(None),
                RuleRow.venue == venue,
                RuleFiring.created_at <= func.now() - older_than,
            )
            .order_by(RuleFiring.created_at)
        )
        async with service_session(self._sessionmaker) as session:
            return [Unpublished(*row) for row in await session.execute(query)]

    async def mark_published(self, intent_ids: Sequence[str]) -> None:
        if not intent_ids:
            return
        async with service_session(self._sessionmaker) as session:
            await session.execute(
                update(RuleFiring)
                .where(RuleFiring.intent_id.in_(intent_ids), RuleFiring.published_at.is_(None))
                .values(published_at=func.now())
                .execution_options(synchronize_session=False)
            )

    async def _move(self, user_id: uuid.UUID, rule_id: uuid.UUID, to: RuleStatus) -> bool:
        mine: ColumnElement[bool] = (RuleRow.id == rule_id) & (RuleRow.user_id == user_id)
        starts = [status.value for status in _MOVES[to]]
        async with service_session(self._sessionmaker) as session:
            moved = await session.scalar(
                update(RuleRow)
                .where(mine, RuleRow.status.in_(starts))
                .values(status=to.value)
                .returning(RuleRow.id)
                .execution_options(synchronize_session=False)
            )
            return moved is not None

    async def _records(self, query: Any) -> builtins.list[RuleRecord]:
        async with service_session(self._sessionmaker) as session:
            return [RuleRecord.of(row) for row in await session.scalars(query)]


__all__ = [
    "FireOutcome",
    "Firing",
    "RuleRecord",
    "RuleRepository",
    "RuleStatus",
    "Unpublished",
    "fire",
    "move",
]
