"""Limits, modes and the per-user lock on real PostgreSQL: defaults, validation, audit, serialization."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db.models.risk import RiskAccountRow
from shared.db.repositories import intents, risk_accounts
from shared.db.repositories.risk_accounts import ConfirmationRequired, RiskAccountRepository
from shared.db.repositories.risk_audit import RiskAuditRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome, TradingMode
from shared.domain.risk_limits import InvalidLimit, Limits

pytestmark = pytest.mark.postgres
D = Decimal


async def _user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return (await UserRepository(sessionmaker).create(f"l{uuid.uuid4().hex[:10]}@example.com", "L")).id


async def test_limits_default_until_changed_and_every_change_is_audited_old_to_new(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user, other = await _user(sessionmaker), await _user(sessionmaker)
    repo = RiskLimitsRepository(sessionmaker)
    assert await repo.get(user) == Limits()

    changed = await repo.set(
        user,
        {"max_order_notional": "1000.50", "max_open_orders": 5, "allowed_symbols": ["btcusdt", "ETH/USDT"]},
        "alice",
    )
    expected = dataclasses.replace(
        Limits(), max_order_notional=D("1000.50"), max_open_orders=5,
        allowed_symbols=frozenset({"BTC/USDT", "ETH/USDT"}),
    )  # fmt: skip
    assert changed == expected and await repo.get(user) == expected
    assert await repo.get(other) == Limits()
    await repo.set(user, {"max_order_quantity": "0.5", "max_open_orders": 5}, "bob")  # 5 is no change
    await repo.set(user, {"max_order_quantity": None, "allowed_symbols": None}, "bob")
    assert await repo.get(user) == dataclasses.replace(expected, allowed_symbols=None)

    audit = await RiskAuditRepository(sessionmaker).list_for(user)
    assert [(e.actor, e.action, e.details) for e in reversed(audit)] == [
        ("alice", "risk_limits.set", {"changes": {
            "allowed_symbols": {"old": None, "new": ["BTC/USDT", "ETH/USDT"]},
            "max_open_orders": {"old": 50, "new": 5},
            "max_order_notional": {"old": "25000", "new": "1000.5"},
        }}),
        ("bob", "risk_limits.set", {"changes": {"max_order_quantity": {"old": None, "new": "0.5"}}}),
        ("bob", "risk_limits.set", {"changes": {
            "allowed_symbols": {"old": ["BTC/USDT", "ETH/USDT"], "new": None},
            "max_order_quantity": {"old": "0.5", "new": None},
        }}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_leverage": 3}, "unknown limits: max_leverage"),
        ({"max_order_notional": 0}, "positive"),
        ({"max_order_notional": -5}, "positive"),
        ({"max_order_notional": 0.1}, "expected a decimal"),
        ({"max_order_notional": "NaN"}, "positive"),
        ({"max_order_notional": "1e21"}, "below 1e20"),
        ({"max_order_notional": "0.0000000000000000001"}, "18 decimal places"),
        ({"max_order_notional": None}, "cannot be null"),
        ({"price_collar_pct": "150"}, "at most 100"),
        ({"max_open_orders": 0}, r"expected 1\.\.1000000"),
        ({"max_open_orders": True}, "expected an integer"),
        ({"max_open_orders": "2.5"}, "not an integer"),
        ({"approval_ttl_s": 10**9}, r"expected 1\.\.604800"),
        ({"allowed_symbols": "BTC/USDT"}, "list of symbols"),
        ({"allowed_symbols": []}, "empty"),
        ({"allowed_symbols": ["not a symbol"]}, "BTC/USDT"),
    ],
)
async def test_invalid_limit_changes_are_refused_and_leave_nothing_behind(
    sessionmaker: async_sessionmaker[AsyncSession], changes: dict[str, Any], message: str
) -> None:
    user = await _user(sessionmaker)
    repo = RiskLimitsRepository(sessionmaker)
    with pytest.raises(InvalidLimit, match=message):
        await repo.set(user, {"max_open_orders": 9, **changes}, "alice")
    assert await repo.get(user) == Limits()
    assert await RiskAuditRepository(sessionmaker).list_for(user) == []


async def test_autonomous_mode_needs_confirmation_and_every_switch_is_audited(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)
    repo = RiskAccountRepository(sessionmaker)
    assert (await repo.get(user)).mode is TradingMode.MANUAL

    with pytest.raises(ConfirmationRequired):
        await repo.set_mode(user, TradingMode.AUTONOMOUS, "alice")
    assert (await repo.get(user)).mode is TradingMode.MANUAL
    on = await repo.set_mode(user, TradingMode.AUTONOMOUS, "alice", confirmed=True)
    same = await repo.set_mode(user, TradingMode.AUTONOMOUS, "alice", confirmed=True)
    off = await repo.set_mode(user, TradingMode.MANUAL, "alice")  # going back needs no confirmation
    assert (on.mode, same.mode, off.mode) == (
        TradingMode.AUTONOMOUS,
        TradingMode.AUTONOMOUS,
        TradingMode.MANUAL,
    )

    reduce = await repo.set_reduce_only(user, True, "risk_gate", "daily loss 2600 >= 2500")
    assert reduce.reduce_only and reduce.reduce_only_since is not None
    cleared = await repo.set_reduce_only(user, False, "alice")
    assert not cleared.reduce_only and cleared.reduce_only_since is None

    audit = await RiskAuditRepository(sessionmaker).list_for(user)
    assert [(e.action, e.details["old"], e.details["new"]) for e in reversed(audit)] == [
        ("risk_account.mode", "manual", "autonomous"),
        ("risk_account.mode", "autonomous", "manual"),
        ("risk_account.reduce_only", False, True),
        ("risk_account.reduce_only", True, False),
    ]
    assert audit[-1].details["confirmed"] is True


async def test_the_first_lock_of_many_concurrent_ones_creates_exactly_one_row(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(sessionmaker)

    async def take() -> TradingMode:
        async with service_session(sessionmaker) as session:
            return (await risk_accounts.lock(session, user)).mode

    assert await asyncio.gather(*(take() for _ in range(6))) == [TradingMode.MANUAL] * 6
    async with service_session(sessionmaker) as session:
        count = await session.scalar(select(func.count()).where(RiskAccountRow.user_id == user))
    assert count == 1


async def _waiting_on_a_lock(engine: AsyncEngine, pids: set[int]) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids) AND wait_event_type = 'Lock'"),
            {"pids": list(pids)},
        )
    return bool(waiting)


async def test_two_transactions_on_the_same_user_take_turns(
    sessionmaker: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """B asks for the lock while A holds it; Postgres shows B waiting, and B sees what A wrote."""
    user = await _user(sessionmaker)
    events: list[str] = []
    a_locked, a_may_commit = asyncio.Event(), asyncio.Event()
    b_pid: set[int] = set()
    clock: dict[str, datetime] = {}
    now_sql = text("SELECT clock_timestamp()")

    async def first() -> None:
        async with service_session(sessionmaker) as session:
            await risk_accounts.lock(session, user)
            events.append("A locked")
            a_locked.set()
            await a_may_commit.wait()
            await risk_accounts.move_high_water(session, user, date(2030, 1, 1), D(7))
            clock["A commits"] = await session.scalar(now_sql) or datetime.max
            events.append("A commits")

    async def second() -> Decimal | None:
        await a_locked.wait()
        async with service_session(sessionmaker) as session:
            b_pid.add(int(await session.scalar(text("SELECT pg_backend_pid()")) or 0))
            events.append("B asks")
            account = await risk_accounts.lock(session, user)
            clock["B locked"] = await session.scalar(now_sql) or datetime.min
            events.append("B locked")
            return account.day_high_water

    a, b = asyncio.create_task(first()), asyncio.create_task(second())
    for _ in range(500):  # until Postgres itself reports B blocked on A's row lock
        if b_pid and await _waiting_on_a_lock(engine, b_pid):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("B never waited on the lock")
    assert events == ["A locked", "B asks"] and not b.done()
    a_may_commit.set()
    await a

    # B got the row only after A's commit, and read it as A left it.
    assert await b == D(7)
    assert events == ["A locked", "B asks", "A commits", "B locked"]
    assert clock["B locked"] > clock["A commits"]  # the server's clock agrees


async def test_two_gate_replicas_never_approve_past_an_aggregate_limit(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Ten parallel decisions, a limit of three approvals per minute: the lock makes it exactly three."""
    user = await _user(sessionmaker)
    limit = 3

    async def decide(n: int) -> DecisionOutcome:
        async with service_session(sessionmaker) as session:
            await risk_accounts.lock(session, user)
            now = datetime.now(UTC)
            _, approved = await intents.throughput(session, user, now - timedelta(minutes=1))
            await asyncio.sleep(0)  # let the others run while this one holds the lock
            outcome = DecisionOutcome.APPROVED if approved < limit else DecisionOutcome.DENIED
            assert await intents.record_decision(
                session, intent_id=f"g-{uuid.uuid4().hex}", user_id=user, correlation_id=str(n),
                source="model", rule_id=None, venue="paper", symbol="BTC/USDT", side="buy",
                order_type="market", quantity=D("0.001"), quote_quantity=None, limit_price=None,
                digest=f"{n:064d}", reference_price=D(100), status=outcome,
            )  # fmt: skip
            return outcome

    outcomes = await asyncio.gather(*(decide(n) for n in range(10)))
    assert outcomes.count(DecisionOutcome.APPROVED) == limit
