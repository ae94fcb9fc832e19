"""The intents table on real PostgreSQL: duplicates refused, compare-and-set transitions, counters."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.ports import free_port
from services.risk_gate.published import PublishedMarks
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories import intents
from shared.db.repositories.disabled_rules import DisabledRuleRecord, DisabledRuleRepository
from shared.db.repositories.intents import IntentRepository
from shared.db.repositories.risk_audit import RiskAuditRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome, IntentSource, OrderSide, OrderType, VenueName

pytestmark = pytest.mark.postgres
OUT = DecisionOutcome
D = Decimal
DIGEST = "ab" * 32


async def _user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return (await UserRepository(sessionmaker).create(f"i{uuid.uuid4().hex[:10]}@example.com", "I")).id


def decision(user_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    intent_id = f"i-{uuid.uuid4().hex}"
    values: dict[str, Any] = {
        "intent_id": intent_id, "user_id": user_id, "correlation_id": f"c-{intent_id}",
        "source": IntentSource.PARSER, "rule_id": None, "venue": VenueName.PAPER, "symbol": "BTC/USDT",
        "side": OrderSide.BUY, "order_type": OrderType.LIMIT, "quantity": D("0.1"), "quote_quantity": None,
        "limit_price": D("100.5"), "digest": DIGEST, "reference_price": D("100"), "status": OUT.PENDING,
    }  # fmt: skip
    values.update(fields)
    return values


async def record(sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, **fields: Any) -> str:
    values = decision(user_id, **fields)
    async with service_session(sessionmaker) as session:
        assert await intents.record_decision(session, **values)
    return str(values["intent_id"])


async def test_a_duplicate_intent_id_is_refused_by_the_database(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    values = decision(user, status=OUT.DENIED, check_name="notional", reason="too big")
    async with service_session(sessionmaker) as session:
        assert await intents.record_decision(session, **values)
        assert not await intents.record_decision(session, **{**values, "status": OUT.APPROVED})
        stored = await intents.get(session, values["intent_id"])
    assert stored is not None and stored.status is OUT.DENIED and stored.reason == "too big"
    assert stored.decided_at is not None and stored.source == "parser" and stored.limit_price == D("100.5")

    with pytest.raises(IntegrityError, match="pk_intents"):
        async with service_session(sessionmaker) as session:
            await session.execute(
                text(
                    "INSERT INTO intents (intent_id, user_id, correlation_id, source, venue, symbol, side,"
                    " order_type, quantity, digest, status) VALUES (:id, :user, 'c', 'model', 'paper',"
                    " 'BTC/USDT', 'sell', 'market', 1, :digest, 'pending')"
                ),
                {"id": values["intent_id"], "user": user, "digest": DIGEST},
            )


async def test_approval_is_compare_and_set_on_status_digest_and_expiry(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    now = datetime.now(UTC)
    intent_id = await record(sessionmaker, user, expires_at=now + timedelta(minutes=5))

    async with service_session(sessionmaker) as session:
        changed = await intents.transition(session, intent_id, OUT.PENDING, OUT.APPROVED, digest="0" * 64)
        late = await intents.transition(
            session, intent_id, OUT.PENDING, OUT.APPROVED, digest=DIGEST, alive_at=now + timedelta(minutes=6)
        )
        assert changed is None and late is None  # parameters changed / approval came too late
        approved = await intents.transition(
            session, intent_id, OUT.PENDING, OUT.APPROVED, digest=DIGEST, alive_at=now,
            decided_by="alice", client_order_id="cp-1",
        )  # fmt: skip
        again = await intents.transition(session, intent_id, OUT.PENDING, OUT.REJECTED, decided_by="bob")
    assert approved is not None and approved.status is OUT.APPROVED and approved.decided_by == "alice"
    assert approved.client_order_id == "cp-1" and approved.decided_at is not None
    assert again is None
    stored = await IntentRepository(sessionmaker).get(intent_id)
    assert stored is not None and stored.status is OUT.APPROVED and stored.decided_by == "alice"


async def test_concurrent_approvals_and_rejections_let_exactly_one_win(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    intent_id = await record(sessionmaker, user)

    async def decide(n: int) -> bool:
        target = OUT.APPROVED if n % 2 else OUT.REJECTED
        async with service_session(sessionmaker) as session:
            moved = await intents.transition(session, intent_id, OUT.PENDING, target, decided_by=f"p{n}")
            return moved is not None

    assert sorted(await asyncio.gather(*(decide(n) for n in range(8)))) == [False] * 7 + [True]


async def test_the_kill_switch_voids_one_users_pending_intents(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alice, bob = await _user(sessionmaker), await _user(sessionmaker)
    a1, a2 = await record(sessionmaker, alice), await record(sessionmaker, alice)
    a_done = await record(sessionmaker, alice, status=OUT.APPROVED)
    b1 = await record(sessionmaker, bob)

    async with service_session(sessionmaker) as session:
        assert await intents.void_pending(session, alice) == sorted([a1, a2])
    repo = IntentRepository(sessionmaker)
    assert await repo.pending(alice) == []
    assert [i.intent_id for i in await repo.pending(bob)] == [b1]
    voided, done = await repo.get(a1), await repo.get(a_done)
    assert voided is not None and voided.status is OUT.KILLED and voided.decided_by == "kill_switch"
    assert done is not None and done.status is OUT.APPROVED


async def test_expiry_finds_only_pending_intents_past_their_time(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    now = datetime.now(UTC)
    past = await record(sessionmaker, user, expires_at=now - timedelta(seconds=1))
    await record(sessionmaker, user, expires_at=now + timedelta(minutes=5))
    await record(sessionmaker, user, status=OUT.DENIED, expires_at=now - timedelta(seconds=1))

    due = [i.intent_id for i in await IntentRepository(sessionmaker).due_for_expiry(now) if i.user_id == user]
    assert due == [past]
    async with service_session(sessionmaker) as session:
        expired = await intents.transition(
            session, past, OUT.PENDING, OUT.EXPIRED, reason="approval timed out"
        )
    assert expired is not None and expired.status is OUT.EXPIRED


async def test_settle_takes_an_approved_intent_out_of_flight_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    approved = await record(sessionmaker, user, status=OUT.APPROVED)
    pending = await record(sessionmaker, user)
    async with service_session(sessionmaker) as session:
        assert [i.intent_id for i in await intents.unplaced(session, user, "paper")] == [approved]
        assert await intents.settle(session, approved)
        assert not await intents.settle(session, approved)
        assert not await intents.settle(session, pending)
        assert await intents.unplaced(session, user, "paper") == []


async def test_counters_for_the_throttles_duplicates_and_rule_windows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user, other = await _user(sessionmaker), await _user(sessionmaker)
    now = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    await record(sessionmaker, user, status=OUT.APPROVED, now=ago(30), digest="a" * 64, rule_id="r1")
    await record(sessionmaker, user, status=OUT.APPROVED, now=ago(90), digest="b" * 64, rule_id="r1")
    await record(sessionmaker, user, status=OUT.APPROVED, now=ago(7200), digest="c" * 64, rule_id="r1")
    await record(sessionmaker, user, status=OUT.DENIED, now=ago(5), digest="d" * 64, rule_id="r1")
    await record(sessionmaker, user, status=OUT.PENDING, now=ago(20), digest="e" * 64, rule_id="r2")
    await record(sessionmaker, user, status=OUT.PENDING, now=ago(10), digest="e" * 64)
    await record(sessionmaker, other, status=OUT.APPROVED, now=ago(1), digest="a" * 64, rule_id="r1")

    async with service_session(sessionmaker) as session:
        assert await intents.throughput(session, user, ago(60)) == (4, 1)
        assert await intents.recent_digests(session, user, ago(60)) == {"a" * 64: ago(30), "e" * 64: ago(10)}
        assert await intents.rule_executions(session, user, ago(3600)) == {"r1": 2, "r2": 1}


async def test_rules_are_disabled_once_enabled_explicitly_and_audited(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    repo = DisabledRuleRepository(sessionmaker)

    assert await repo.disable(user, "r1", "risk_gate", "4 runs in 1h")
    assert not await repo.disable(user, "r1", "risk_gate", "again")
    assert await repo.disable(user, "r2", "alice", "paused")
    assert [(r.rule_id, r.reason) for r in await repo.list(user)] == [
        ("r1", "4 runs in 1h"),
        ("r2", "paused"),
    ]
    assert await repo.enable(user, "r1", "alice")
    assert not await repo.enable(user, "r1", "alice")
    assert await repo.disable(user, "r1", "risk_gate", "later")  # history kept, a new current row
    listed = await repo.list(user)
    assert [r.rule_id for r in listed] == ["r2", "r1"] and isinstance(listed[0], DisabledRuleRecord)

    audit = await RiskAuditRepository(sessionmaker).list_for(user)
    assert [(e.action, e.details["rule_id"]) for e in reversed(audit)] == [
        ("rule.disable", "r1"), ("rule.disable", "r2"), ("rule.enable", "r1"), ("rule.disable", "r1"),
    ]  # fmt: skip


async def _unpublished(sessionmaker: async_sessionmaker[AsyncSession], ids: set[str]) -> set[str]:
    async with service_session(sessionmaker) as session:
        later = datetime.now(UTC) + timedelta(hours=1)
        return {r.intent_id for r in await intents.outbox(session, later, limit=100_000)} & ids


async def _until_published(sessionmaker: async_sessionmaker[AsyncSession], ids: set[str]) -> None:
    for _ in range(500):
        if not await _unpublished(sessionmaker, ids):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still in the outbox after 10 s: {await _unpublished(sessionmaker, ids)}")


async def test_many_marks_in_one_statement_skip_an_intent_that_moved_on(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    pending = await record(sessionmaker, user)
    denied = await record(sessionmaker, user, status=OUT.DENIED, reason="no")
    moved = await record(sessionmaker, user)
    async with service_session(sessionmaker) as session:
        assert await intents.transition(session, moved, OUT.PENDING, OUT.APPROVED) is not None
    assert await _unpublished(sessionmaker, {pending, denied, moved}) == {pending, denied, moved}

    async with service_session(sessionmaker) as session:
        sent = [(pending, OUT.PENDING), (denied, OUT.DENIED), (moved, OUT.PENDING), ("unknown", OUT.DENIED)]
        await intents.mark_many_published(session, sent)
    assert await _unpublished(sessionmaker, {pending, denied, moved}) == {moved}  # approval still to send


async def test_published_marks_are_written_in_rounds_by_the_task(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    ids = {await record(sessionmaker, user, status=OUT.DENIED, reason="no") for _ in range(3)}
    marks = PublishedMarks(sessionmaker, round_s=0.01)
    task = asyncio.create_task(marks.run())
    try:
        for intent_id in ids:
            marks.add(intent_id, OUT.DENIED)
        await _until_published(sessionmaker, ids)
        assert marks.waiting == 0
        late = await record(sessionmaker, user, status=OUT.DENIED, reason="no")
        marks.add(late, OUT.DENIED)  # the task waits for marks, and takes later ones too
        await _until_published(sessionmaker, {late})
    finally:
        task.cancel()


async def test_published_marks_are_kept_when_the_database_is_away() -> None:
    nowhere = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none", pool_size=1)
    try:
        marks = PublishedMarks(create_sessionmaker(nowhere))
        marks.add("i-1", OUT.APPROVED)
        marks.add("i-1", OUT.APPROVED)  # the same mark twice is one mark
        with pytest.raises(OSError):
            await marks.flush()
        assert marks.waiting == 1
    finally:
        await nowhere.dispose()
