"""Every intent the gate saw, its decision, and the approval queue (``status = 'pending'``).

Writes take the caller's session so they commit with the decision they record (and under the
user's lock). Status changes are compare-and-set: ``transition`` moves an intent only from the
status (and digest) the caller saw, so an approval of an intent that already expired, was voided
by the kill switch, or whose parameters changed, finds nothing to move and is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, func, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.orders import Order
from shared.db.models.risk import IntentRow
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome

PENDING, APPROVED = DecisionOutcome.PENDING.value, DecisionOutcome.APPROVED.value


@dataclass(frozen=True, slots=True)
class IntentRecord:
    intent_id: str
    user_id: uuid.UUID
    correlation_id: str
    source: str
    rule_id: str | None
    venue: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal | None
    quote_quantity: Decimal | None
    limit_price: Decimal | None
    digest: str
    reference_price: Decimal | None
    status: DecisionOutcome
    check_name: str | None
    reason: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    client_order_id: str | None
    settled: bool

    @classmethod
    def of(cls, row: IntentRow) -> IntentRecord:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        return cls(**{**values, "status": DecisionOutcome(row.status)})


def _now(now: datetime | None) -> Any:
    return func.now() if now is None else now


_INTENTS = cast(Table, IntentRow.__table__)
_RECORD = (
    insert(_INTENTS).on_conflict_do_nothing(index_elements=["intent_id"]).returning(_INTENTS.c.intent_id)
)
"""Built once, on the table rather than the entity: no ORM bulk-insert machinery on the decision
path (it cost more CPU than the rest of the statement)."""


async def record_decision(
    session: AsyncSession,
    *,
    intent_id: str,
    user_id: uuid.UUID,
    correlation_id: str,
    source: str,
    rule_id: str | None,
    venue: str,
    symbol: str,
    side: str,
    order_type: str,
    quantity: Decimal | None,
    quote_quantity: Decimal | None,
    limit_price: Decimal | None,
    digest: str,
    reference_price: Decimal | None,
    status: DecisionOutcome,
    check_name: str | None = None,
    reason: str | None = None,
    decided_by: str | None = None,
    expires_at: datetime | None = None,
    client_order_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Store an intent and its first decision; False when ``intent_id`` is already stored.

    ``ON CONFLICT DO NOTHING`` rather than an error, so the caller's transaction (and its lock)
    stays usable to record nothing and answer "duplicate". Enums may be passed for the text fields.
    """
    at = _now(now)
    values: dict[str, Any] = {
        "intent_id": intent_id, "user_id": user_id, "correlation_id": correlation_id,
        "source": str(source), "rule_id": rule_id, "venue": str(venue), "symbol": symbol,
        "side": str(side), "order_type": str(order_type), "quantity": quantity,
        "quote_quantity": quote_quantity, "limit_price": limit_price, "digest": digest,
        "reference_price": reference_price, "status": status.value, "check_name": check_name,
        "reason": reason, "decided_by": decided_by, "created_at": at,
        "decided_at": None if status is DecisionOutcome.PENDING else at,
        "expires_at": expires_at, "client_order_id": client_order_id,
    }  # fmt: skip
    if now is None:  # the database's clock: a SQL expression, so not a parameter of _RECORD
        return await session.scalar(_RECORD.values(values)) is not None
    return (await session.execute(_RECORD, values)).first() is not None


async def record_decisions(session: AsyncSession, records: Sequence[IntentRecord]) -> set[str]:
    """Store many intents with their first decision, exactly as given, in one statement; return
    the ids stored (an id already taken is left out, as ``record_decision`` returns False)."""
    if not records:
        return set()
    rows = [
        {f.name: getattr(r, f.name) for f in fields(IntentRecord) if f.name != "settled"}
        | {"status": r.status.value}
        for r in records
    ]
    return set((await session.execute(_RECORD, rows)).scalars())


async def get(session: AsyncSession, intent_id: str, *, for_update: bool = False) -> IntentRecord | None:
    query = select(IntentRow).where(IntentRow.intent_id == intent_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query.execution_options(populate_existing=True))
    return None if row is None else IntentRecord.of(row)


async def transition(
    session: AsyncSession,
    intent_id: str,
    from_status: DecisionOutcome,
    to_status: DecisionOutcome,
    *,
    digest: str | None = None,
    alive_at: datetime | None = None,
    decided_by: str | None = None,
    reason: str | None = None,
    check_name: str | None = None,
    client_order_id: str | None = None,
    now: datetime | None = None,
) -> IntentRecord | None:
    """Compare-and-set: move the intent only if it is still ``from_status``; None when it was not.

    ``digest`` also requires the stored parameters to be exactly those the approver saw;
    ``alive_at`` requires the intent not to have expired by then.
    """
    condition: ColumnElement[bool] = (IntentRow.intent_id == intent_id) & (
        IntentRow.status == from_status.value
    )
    if digest is not None:
        condition &= IntentRow.digest == digest
    if alive_at is not None:
        condition &= IntentRow.expires_at.is_(None) | (IntentRow.expires_at > alive_at)
    values: dict[str, Any] = {"status": to_status.value, "decided_at": _now(now)}
    for name, value in (
        ("decided_by", decided_by), ("reason", reason), ("check_name", check_name),
        ("client_order_id", client_order_id),
    ):  # fmt: skip
        if value is not None:
            values[name] = value
    row = await session.scalar(
        update(IntentRow)
        .where(condition)
        .values(**values)
        .returning(IntentRow)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return None if row is None else IntentRecord.of(row)


async def void_pending(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    status: DecisionOutcome = DecisionOutcome.KILLED,
    *,
    reason: str = "kill switch engaged",
    decided_by: str = "kill_switch",
) -> list[str]:
    """End every pending intent of ``user_id`` (of everyone when None); return their ids."""
    condition: ColumnElement[bool] = IntentRow.status == PENDING
    if user_id is not None:
        condition &= IntentRow.user_id == user_id
    voided = await session.scalars(
        update(IntentRow)
        .where(condition)
        .values(status=status.value, decided_at=func.now(), reason=reason, decided_by=decided_by)
        .returning(IntentRow.intent_id)
        .execution_options(synchronize_session=False)
    )
    return sorted(voided)


async def settle(session: AsyncSession, intent_id: str) -> bool:
    """Mark an approved intent's order terminal (or never placed): it stops counting as in flight."""
    settled = await session.scalar(
        update(IntentRow)
        .where(IntentRow.intent_id == intent_id, IntentRow.status == APPROVED, ~IntentRow.settled)
        .values(settled=True)
        .returning(IntentRow.intent_id)
        .execution_options(synchronize_session=False)
    )
    return settled is not None


async def pending_for_update(session: AsyncSession, limit: int = 1000) -> list[IntentRecord]:
    """Pending intents, oldest first, locked; rows another replica holds are skipped, not waited for."""
    rows = await session.scalars(
        select(IntentRow)
        .where(IntentRow.status == PENDING)
        .order_by(IntentRow.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [IntentRecord.of(row) for row in rows]


async def count_pending(session: AsyncSession) -> int:
    """Proposals waiting for a person, of every user (the gate's ``risk_pending_intents``)."""
    return await session.scalar(select(func.count()).where(IntentRow.status == PENDING)) or 0


async def mark_published(session: AsyncSession, intent_id: str, status: DecisionOutcome) -> None:
    """JetStream acknowledged the messages of ``status``: the intent leaves the outbox (unless it
    has moved on since, in which case its newer status is still to publish)."""
    await session.execute(
        update(IntentRow)
        .where(IntentRow.intent_id == intent_id, IntentRow.status == status.value)
        .values(published=status.value)
        .execution_options(synchronize_session=False)
    )


_MARK_MANY = text(
    """UPDATE intents AS i SET published = m.status
    FROM unnest(CAST(:intent_ids AS text[]), CAST(:statuses AS text[])) AS m (intent_id, status)
    WHERE i.intent_id = m.intent_id AND i.status = m.status"""
)


async def mark_many_published(session: AsyncSession, sent: Sequence[tuple[str, DecisionOutcome]]) -> None:
    """``mark_published`` for many (intent, status) pairs in one statement."""
    if sent:
        await session.execute(
            _MARK_MANY,
            {"intent_ids": [intent_id for intent_id, _ in sent], "statuses": [s.value for _, s in sent]},
        )


async def outbox(session: AsyncSession, older_than: datetime, limit: int = 500) -> list[IntentRecord]:
    """Intents whose current status was stored but not yet published (a crash in between)."""
    rows = await session.scalars(
        select(IntentRow)
        .where(IntentRow.published.is_distinct_from(IntentRow.status), IntentRow.created_at < older_than)
        .order_by(IntentRow.created_at)
        .limit(limit)
    )
    return [IntentRecord.of(row) for row in rows]


# -- what the AccountView counts


async def throughput(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> tuple[int, int]:
    """(intents received, intents approved) since ``since``: the per-minute throttles."""
    received = select(func.count()).where(IntentRow.user_id == user_id, IntentRow.created_at >= since)
    approved = select(func.count()).where(
        IntentRow.user_id == user_id, IntentRow.status == APPROVED, IntentRow.decided_at >= since
    )
    row = (await session.execute(select(received.scalar_subquery(), approved.scalar_subquery()))).one()
    return int(row[0]), int(row[1])


async def recent_digests(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> dict[str, datetime]:
    """Digests of pending or approved intents received since ``since``, with the latest time each.

    Denied, rejected, expired and killed intents did not trade, so sending one again is no duplicate.
    """
    rows = await session.execute(
        select(IntentRow.digest, func.max(IntentRow.created_at))
        .where(
            IntentRow.user_id == user_id,
            IntentRow.created_at >= since,
            IntentRow.status.in_([PENDING, APPROVED]),
        )
        .group_by(IntentRow.digest)
    )
    return {digest: seen for digest, seen in rows}


async def rule_executions(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> dict[str, int]:
    """Per rule: intents approved since ``since`` plus those pending (each is about to execute)."""
    mine = (IntentRow.user_id == user_id) & IntentRow.rule_id.is_not(None)
    executed = select(IntentRow.rule_id).where(
        mine, IntentRow.status == APPROVED, IntentRow.decided_at >= since
    )
    queued = select(IntentRow.rule_id).where(mine, IntentRow.status == PENDING)
    both = union_all(executed, queued).subquery()
    rows = await session.execute(select(both.c.rule_id, func.count()).group_by(both.c.rule_id))
    return {rule_id: int(count) for rule_id, count in rows}


async def unplaced(session: AsyncSession, user_id: uuid.UUID, venue: str) -> list[IntentRecord]:
    """Approved, unsettled intents with no order row yet: in flight, but invisible in ``orders``."""
    has_order = exists().where(Order.venue == IntentRow.venue, Order.intent_id == IntentRow.intent_id)
    rows = await session.scalars(
        select(IntentRow)
        .where(
            IntentRow.user_id == user_id,
            IntentRow.venue == venue,
            IntentRow.status == APPROVED,
            ~IntentRow.settled,
            ~has_order,
        )
        .order_by(IntentRow.created_at, IntentRow.intent_id)
    )
    return [IntentRecord.of(row) for row in rows]


class IntentRepository:
    """Reads that need no lock: the queue as the gateway shows it, and the expiry sweep."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def get(self, intent_id: str) -> IntentRecord | None:
        async with service_session(self._sessionmaker) as session:
            return await get(session, intent_id)

    async def pending(self, user_id: uuid.UUID | None = None) -> list[IntentRecord]:
        """Pending intents, oldest first; every user's when ``user_id`` is None (price-move expiry)."""
        query = select(IntentRow).where(IntentRow.status == PENDING).order_by(IntentRow.created_at)
        if user_id is not None:
            query = query.where(IntentRow.user_id == user_id)
        async with service_session(self._sessionmaker) as session:
            return [IntentRecord.of(row) for row in await session.scalars(query)]

    async def due_for_expiry(self, now: datetime, limit: int = 500) -> list[IntentRecord]:
        """Pending intents whose ``expires_at`` has passed, soonest first."""
        query = (
            select(IntentRow)
            .where(IntentRow.status == PENDING, IntentRow.expires_at <= now)
            .order_by(IntentRow.expires_at)
            .limit(limit)
        )
        async with service_session(self._sessionmaker) as session:
            return [IntentRecord.of(row) for row in await session.scalars(query)]


__all__ = [
    "IntentRecord",
    "IntentRepository",
    "count_pending",
    "get",
    "mark_many_published",
    "mark_published",
    "recent_digests",
    "record_decision",
    "record_decisions",
    "rule_executions",
    "settle",
    "throughput",
    "transition",
    "unplaced",
    "void_pending",
]
