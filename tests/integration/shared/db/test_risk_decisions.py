"""Decisions in batches: one transaction for the intents of several users, each stored exactly as
returned, a redelivered intent answered with its stored decision, and one intent per user a batch.
Every stored decision is counted once in the gate's metrics, with its outcome and reason."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.paper_exchange.markets import spec_for, symbol_info
from services.risk_gate.decider import Decider
from services.risk_gate.gauges import refresh_gauges
from services.risk_gate.markets import Listing
from services.risk_gate.metrics import RiskMetrics
from services.risk_gate.model import Proposal
from services.risk_gate.references import ReferencePrices
from shared.db.repositories import disabled_rules, intents, risk_accounts
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.portfolio import PortfolioRepository
from shared.db.repositories.risk_accounts import RiskAccountRepository
from shared.db.repositories.risk_audit import RiskAuditRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome, IntentSource, KillScope, OrderSide, OrderType, VenueName
from shared.messages.base import Message, utc_now
from shared.messages.intents import TradeIntentCreated
from shared.messages.risk import ApprovalGiven

pytestmark = pytest.mark.postgres
OUT = DecisionOutcome
PRICE = Decimal("30000.00")


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> RiskMetrics:
    return RiskMetrics(registry)


@pytest.fixture
def decider(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool, metrics: RiskMetrics
) -> Decider:
    listing = Listing()
    listing.replace({"BTC/USDT": {"spot": True, "active": True, "info": symbol_info(spec_for("BTC/USDT"))}})
    references = ReferencePrices()
    references.observe("BTC/USDT", PRICE, utc_now())
    return Decider(sessionmaker, service_pool, listing, references, venue="paper", metrics=metrics)


async def _trader(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """A user in manual mode with money: a small buy passes every check and waits for approval."""
    user = (await UserRepository(sessionmaker).create(f"d{uuid.uuid4().hex[:10]}@example.com", "D")).id
    await PortfolioRepository(sessionmaker).save_balances(
        user, "paper", {"USDT": (Decimal(10_000), Decimal(0))}
    )
    return user


def _sent(message: Message) -> dict[str, Any]:
    """A message as published, but for when this copy of it was built."""
    return message.model_dump(exclude={"ts_init"})


def _proposal(user: uuid.UUID, price: str = "29700.00") -> Proposal:
    intent = TradeIntentCreated(
        intent_id=f"b-{uuid.uuid4().hex}", user_id=str(user), source=IntentSource.PARSER,
        venue=VenueName.PAPER, symbol="BTC/USDT", side=OrderSide.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"), limit_price=Decimal(price), ts_event=utc_now(),
    )  # fmt: skip
    return Proposal.of(intent, user, utc_now())


async def test_a_batch_stores_each_decision_exactly_as_it_returns_it(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    users = [await _trader(sessionmaker) for _ in range(3)]
    proposals = [_proposal(user) for user in users]
    outs = await decider.decide_many(proposals)
    assert [out.intent_id for out in outs] == [p.intent_id for p in proposals]
    assert {out.status for out in outs} == {OUT.PENDING}
    repository = intents.IntentRepository(sessionmaker)
    for out in outs:
        stored = await repository.get(out.intent_id)
        assert stored is not None
        again = decider._outgoing(stored, utc_now())  # what a redelivery or the outbox would publish
        assert _sent(again.decision) == _sent(out.decision) and again.command == out.command


async def test_a_redelivered_intent_in_a_batch_gets_its_stored_decision(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider, registry: CollectorRegistry
) -> None:
    alice, bob = await _trader(sessionmaker), await _trader(sessionmaker)
    first = _proposal(alice)
    (decided,) = await decider.decide_many([first])
    same_digest = _proposal(bob, "29700.00")
    again, other = await decider.decide_many([first, same_digest])
    assert _sent(again.decision) == _sent(decided.decision)  # same message id: JetStream drops it
    assert other.status is OUT.PENDING
    # Bob's second intent with the same parameters, in the next batch, is a duplicate: the first is counted.
    (duplicate,) = await decider.decide_many([_proposal(bob, "29700.00")])
    assert duplicate.status is OUT.DENIED and duplicate.decision.check == "duplicate_intent"
    assert _decisions(registry, "pending") == 2  # the redelivery is not a second decision
    assert _decisions(registry, "denied", "duplicate_intent") == 1
    assert _decisions(registry, "denied", "max_order_value") == 0  # known reasons start at zero


def _decisions(registry: CollectorRegistry, outcome: str, reason: str = "none") -> float | None:
    return registry.get_sample_value("risk_decisions_total", {"outcome": outcome, "reason": reason})


def _approval(out: Any, user: uuid.UUID, *, approve: bool) -> ApprovalGiven:
    return ApprovalGiven(
        intent_id=out.intent_id, user_id=str(user), digest=out.decision.digest, approve=approve,
        actor="trader", ts_event=utc_now(),
    )  # fmt: skip


async def test_a_persons_answer_is_counted_and_timed_from_the_proposal_by_its_outcome(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider, registry: CollectorRegistry
) -> None:
    alice, bob = await _trader(sessionmaker), await _trader(sessionmaker)
    to_approve, to_reject = await decider.decide_many([_proposal(alice), _proposal(bob)])
    await asyncio.sleep(0.05)
    approved = await decider.answer(_approval(to_approve, alice, approve=True))
    rejected = await decider.answer(_approval(to_reject, bob, approve=False))
    assert approved is not None and approved.status is OUT.APPROVED
    assert rejected is not None and rejected.status is OUT.REJECTED
    assert await decider.answer(_approval(to_approve, alice, approve=True)) is None  # refused: not counted
    assert (_decisions(registry, "approved"), _decisions(registry, "rejected")) == (1, 1)
    for outcome in ("approved", "rejected"):
        labels = {"outcome": outcome}
        assert registry.get_sample_value("risk_approval_latency_seconds_count", labels) == 1
        waited = registry.get_sample_value("risk_approval_latency_seconds_sum", labels)
        assert waited is not None and 0.05 <= waited < 30


async def test_the_daily_loss_limit_putting_a_user_in_reduce_only_is_one_hit(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider, registry: CollectorRegistry
) -> None:
    user = await _trader(sessionmaker)
    await RiskLimitsRepository(sessionmaker).set(user, {"daily_loss_limit": Decimal(2_500)}, "test")
    await decider.decide_many([_proposal(user)])  # today's high-water mark: 10,000 USDT
    await PortfolioRepository(sessionmaker).save_balances(
        user, "paper", {"USDT": (Decimal(7_000), Decimal(0))}
    )
    (first,) = await decider.decide_many([_proposal(user, "29600.00")])
    (second,) = await decider.decide_many([_proposal(user, "29500.00")])
    assert first.decision.check == second.decision.check == "reduce_only"
    assert registry.get_sample_value("risk_loss_limit_hits_total") == 1  # the second: already reduce-only
    assert _decisions(registry, "denied", "reduce_only") == 2


async def test_a_kill_counts_the_proposals_it_voided_and_the_gauges_read_the_database(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider, metrics: RiskMetrics,
    registry: CollectorRegistry,
) -> None:  # fmt: skip
    await refresh_gauges(sessionmaker, metrics)
    pending_before = registry.get_sample_value("risk_pending_intents")
    kills_before = registry.get_sample_value("risk_kill_switch_engaged", {"scope": "user"})
    assert pending_before is not None and kills_before is not None
    user, other = await _trader(sessionmaker), await _trader(sessionmaker)
    await decider.decide_many([_proposal(user), _proposal(other)])
    await refresh_gauges(sessionmaker, metrics)
    assert registry.get_sample_value("risk_pending_intents") == pending_before + 2

    switches = KillSwitchRepository(sessionmaker)
    await switches.engage(KillScope.USER, user, "trader", "test")
    try:
        assert len(await decider.kill(user, "kill switch engaged: test")) == 1
        await refresh_gauges(sessionmaker, metrics)
        assert _decisions(registry, "killed") == 1
        assert registry.get_sample_value("risk_pending_intents") == pending_before + 1
        assert registry.get_sample_value("risk_kill_switch_engaged", {"scope": "user"}) == kills_before + 1
    finally:
        await switches.release(KillScope.USER, user, "trader")


async def test_one_intent_per_user_in_a_batch(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    user = await _trader(sessionmaker)
    with pytest.raises(ValueError, match="one intent per user"):
        await decider.decide_many([_proposal(user), _proposal(user, "29600.00")])


async def test_concurrent_decisions_share_a_batch_and_a_users_second_waits_for_the_first(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    users = [await _trader(sessionmaker) for _ in range(4)]
    proposals = [_proposal(user) for user in users] + [_proposal(users[0], "29700.00")]
    outs = await asyncio.gather(*(decider.decide(p) for p in proposals))
    assert [out.status for out in outs] == [OUT.PENDING] * 4 + [OUT.DENIED]  # the repeat saw the first
    assert outs[-1].decision.check == "duplicate_intent"


async def test_a_first_decision_stores_the_days_equity_high_water_mark(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    user = await _trader(sessionmaker)
    (out,) = await decider.decide_many([_proposal(user)])
    account = await RiskAccountRepository(sessionmaker).get(user)
    assert out.status is OUT.PENDING
    assert (account.day, account.day_high_water) == (utc_now().date(), Decimal(10_000))


async def test_a_rule_over_its_throttle_is_disabled_and_audited_with_the_denial(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    user = await _trader(sessionmaker)
    await RiskLimitsRepository(sessionmaker).set(user, {"rule_max_executions": 1}, "trader")
    first, second = (
        replace(_proposal(user, price), source=IntentSource.RULE, rule_id="dip-buyer")
        for price in ("29700.00", "29600.00")
    )
    (allowed,) = await decider.decide_many([first])
    (denied,) = await decider.decide_many([second])
    async with service_session(sessionmaker) as session:
        stopped = await disabled_rules.disabled(session, user)
    entries = await RiskAuditRepository(sessionmaker).list_for(user)
    assert allowed.status is OUT.PENDING
    assert denied.status is OUT.DENIED and denied.decision.check == "rule_throttle"
    assert [rule.rule_id for rule in stopped] == ["dip-buyer"]
    (entry,) = [e for e in entries if e.action == "rule.disable"]
    assert (entry.actor, entry.details) == (
        "risk_gate",
        {"rule_id": "dip-buyer", "reason": denied.decision.reason},
    )


async def test_a_loss_past_the_daily_limit_turns_reduce_only_on_with_the_denial(
    sessionmaker: async_sessionmaker[AsyncSession], decider: Decider
) -> None:
    user = await _trader(sessionmaker)  # 10,000 USDT of equity
    async with service_session(sessionmaker) as session:
        await risk_accounts.lock(session, user)
        await risk_accounts.move_high_water(session, user, utc_now().date(), Decimal(20_000))
    (denied,) = await decider.decide_many([_proposal(user)])
    account = await RiskAccountRepository(sessionmaker).get(user)
    entries = await RiskAuditRepository(sessionmaker).list_for(user)
    assert denied.status is OUT.DENIED and denied.decision.check == "reduce_only"
    assert account.reduce_only and account.reduce_only_since is not None
    assert account.day_high_water == Decimal(20_000), "a lower equity leaves the day's high as it was"
    (entry,) = [e for e in entries if e.action == "risk_account.reduce_only"]
    assert (entry.actor, entry.details) == (
        "risk_gate",
        {"old": False, "new": True, "reason": denied.decision.reason},
    )
