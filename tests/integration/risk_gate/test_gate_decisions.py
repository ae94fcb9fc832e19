"""The risk gate end to end: manual approval by default, autonomous on confirmation, bad input
refused before any check, approvals bound to the exact parameters, expiry, and the kill switch;
each counted in the gate's ``/metrics`` as Prometheus scrapes it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shared.domain.enums import DecisionOutcome, KillScope
from shared.messages import subjects
from shared.messages.commands import SubmitOrder
from shared.messages.risk import RiskDecisionMade, TradingModeRequested
from shared.messages.system import KillSwitchEngaged
from tests.integration.risk_gate.conftest import Gate

pytestmark = pytest.mark.asyncio
D = DecisionOutcome


class Inbox:
    """Everything the gate publishes for the test's user and every order command, in order."""

    def __init__(self) -> None:
        self.decisions: list[RiskDecisionMade] = []
        self.commands: list[SubmitOrder] = []

    async def attach(self, gate: Gate) -> None:
        async def on_decision(message: Any) -> None:
            self.decisions.append(RiskDecisionMade.model_validate_json(message.data))

        async def on_command(message: Any) -> None:
            self.commands.append(SubmitOrder.model_validate_json(message.data))

        await gate.nc.subscribe(subjects.decisions(str(gate.user_id)), cb=on_decision)
        await gate.nc.subscribe(subjects.order_commands("paper"), cb=on_command)

    def of(self, intent_id: str) -> list[DecisionOutcome]:
        return [d.outcome for d in self.decisions if d.intent_id == intent_id]

    async def wait(self, intent_id: str, outcome: DecisionOutcome, within_s: float = 20) -> RiskDecisionMade:
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            for d in self.decisions:
                if d.intent_id == intent_id and d.outcome is outcome:
                    return d
            assert asyncio.get_running_loop().time() < deadline, (
                f"no {outcome} for {intent_id}: {self.of(intent_id)}"
            )
            await asyncio.sleep(0.1)


async def started(gate: Gate, replicas: int = 1, **env: str) -> Inbox:
    inbox = Inbox()
    await inbox.attach(gate)
    for _ in range(replicas):
        gate.start(**env)
    await gate.wait_ready()
    await gate.tick()
    return inbox


async def test_an_intent_waits_for_approval_and_the_approval_emits_the_exact_order(gate: Gate) -> None:
    inbox = await started(gate)
    intent = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), intent)
    pending = await inbox.wait(intent.intent_id, D.PENDING)
    assert pending.digest and pending.expires_at and pending.correlation_id == intent.intent_id
    assert inbox.commands == []

    await gate.send(subjects.approvals(str(gate.user_id)), gate.approval(intent.intent_id, pending.digest))
    await inbox.wait(intent.intent_id, D.APPROVED)
    await asyncio.sleep(0.3)
    [order] = [c for c in inbox.commands if c.intent_id == intent.intent_id]
    assert (order.symbol, order.side, order.quantity, order.limit_price) == (
        "BTC/USDT",
        intent.side,
        Decimal("0.01"),
        Decimal("29900.00"),
    )
    assert order.correlation_id == intent.intent_id


async def test_an_approval_of_changed_parameters_is_refused_and_a_rejection_is_recorded(gate: Gate) -> None:
    inbox = await started(gate)
    intent = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), intent)
    pending = await inbox.wait(intent.intent_id, D.PENDING)
    other = gate.intent(quantity=Decimal("0.02"))  # what the approver was shown differs
    stale = gate.approval(intent.intent_id, other_digest(gate, other))
    await gate.send(subjects.approvals(str(gate.user_id)), stale)
    await asyncio.sleep(1.5)
    assert inbox.of(intent.intent_id) == [D.PENDING] and inbox.commands == []

    reject = stale.model_copy(
        update={"digest": pending.digest, "approve": False, "message_id": uuid.uuid4().hex}
    )
    await gate.send(subjects.approvals(str(gate.user_id)), reject)
    rejected = await inbox.wait(intent.intent_id, D.REJECTED)
    assert rejected.actor == "trader" and inbox.commands == []


def other_digest(gate: Gate, intent: Any) -> str:
    from services.risk_gate.model import Proposal

    return Proposal.of(intent, gate.user_id, intent.ts_event).digest


async def test_autonomous_mode_needs_confirmation_and_then_sends_orders_without_a_person(gate: Gate) -> None:
    inbox = await started(gate)
    with pytest.raises(ValueError, match="confirm"):
        TradingModeRequested.model_validate({**gate.autonomous().model_dump(), "confirm": False})
    await gate.send(subjects.mode_requests(str(gate.user_id)), gate.autonomous())
    await asyncio.sleep(1.0)
    intent = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), intent)
    await inbox.wait(intent.intent_id, D.APPROVED)
    await asyncio.sleep(0.3)
    assert [c.intent_id for c in inbox.commands] == [intent.intent_id]


async def test_a_failing_check_denies_with_the_check_and_a_reason(gate: Gate) -> None:
    inbox = await started(gate)
    await gate.limits(max_order_notional=Decimal(100))
    intent = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), intent)
    denied = await inbox.wait(intent.intent_id, D.DENIED)
    assert denied.check == "max_order_value" and "exceeds" in denied.reason
    far = gate.intent(limit_price=Decimal("20000.00"))  # a third below the market
    await gate.send(subjects.intents(str(gate.user_id)), far)
    assert (await inbox.wait(far.intent_id, D.DENIED)).check == "price_collar"
    assert inbox.commands == []
    metrics = await gate.metrics()
    assert metrics.value("risk_decisions_total", outcome="denied", reason="max_order_value") == 1
    assert metrics.value("risk_decisions_total", outcome="denied", reason="price_collar") == 1
    assert metrics.value("risk_decisions_total", outcome="denied", reason="balance") == 0
    assert metrics.value("risk_intents_total", source="chat") == 2
    assert metrics.value("risk_intents_total", source="rule") == 0
    assert metrics.value("risk_decision_seconds_count") == 2
    assert metrics.total("http_requests_total", route="/readyz", status="200") >= 1


async def test_bad_input_is_refused_at_validation_and_never_forwarded(gate: Gate) -> None:
    inbox = await started(gate)
    user = str(gate.user_id)
    raw = gate.intent().model_dump(mode="json")
    await gate.js.publish(subjects.intents(user), b'{"type": "intent.created", "quantity": "NaN"}')
    nan = {**raw, "intent_id": "nan-1", "quantity": "NaN"}
    extra = {**raw, "intent_id": "extra-1", "leverage": 100}
    unknown = {**raw, "intent_id": "doge-1", "symbol": "DOGE/USDT"}
    for body in (nan, extra, unknown):
        await gate.js.publish(subjects.intents(user), _json(body))
    someone_else = gate.intent()
    await gate.js.publish(subjects.intents(str(uuid.uuid4())), someone_else.to_json())
    for intent_id in ("nan-1", "extra-1", "doge-1"):
        denied = await inbox.wait(intent_id, D.DENIED)
        assert denied.check == "validation"
    good = gate.intent()
    await gate.send(subjects.intents(user), good)
    await inbox.wait(good.intent_id, D.PENDING)  # the consumer kept going
    assert inbox.of(someone_else.intent_id) == [] and inbox.commands == []
    await gate.metric_reaches(5, "risk_decisions_total", outcome="rejected", reason="invalid")
    metrics = await gate.metrics()
    assert metrics.value("risk_intents_total", source="other") == 5
    assert metrics.value("risk_intents_total", source="chat") == 1
    assert metrics.value("risk_decisions_total", outcome="pending", reason="none") == 1


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


async def test_a_pending_proposal_expires_in_time_or_when_the_price_moves(gate: Gate) -> None:
    inbox = await started(gate)
    await gate.limits(approval_ttl_s=1)
    quick = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), quick)
    await inbox.wait(quick.intent_id, D.PENDING)
    expired = await inbox.wait(quick.intent_id, D.EXPIRED, within_s=10)
    assert expired.reason == "not approved in time"

    await gate.limits(approval_ttl_s=300)
    moving = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), moving)
    await inbox.wait(moving.intent_id, D.PENDING)
    await gate.tick(gate.price * Decimal("1.03"))
    moved = await inbox.wait(moving.intent_id, D.EXPIRED, within_s=10)
    assert "the price moved 3.00%" in moved.reason
    assert (await gate.metrics()).value("risk_decisions_total", outcome="expired", reason="none") == 2
    await gate.metric_reaches(0, "risk_pending_intents")


async def test_the_kill_switch_voids_pending_refuses_new_intents_and_survives_a_restart(gate: Gate) -> None:
    inbox = await started(gate)
    queued = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), queued)
    await inbox.wait(queued.intent_id, D.PENDING)
    kill = KillSwitchEngaged(
        scope=KillScope.USER, user_id=str(gate.user_id), actor="trader", reason="stop everything",
        ts_event=datetime.now(UTC),
    )  # fmt: skip
    await gate.send(subjects.KILL_SWITCH, kill)
    assert "stop everything" in (await inbox.wait(queued.intent_id, D.KILLED)).reason
    after = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), after)
    assert (await inbox.wait(after.intent_id, D.KILLED)).check == "kill_switch"
    assert (await gate.metrics()).value("risk_decisions_total", outcome="killed", reason="none") == 2
    await gate.metric_reaches(1, "risk_kill_switch_engaged", scope="user")

    gate.stop()
    gate.start()
    await gate.wait_ready()
    await gate.tick()
    later = gate.intent()
    await gate.send(subjects.intents(str(gate.user_id)), later)
    await inbox.wait(later.intent_id, D.KILLED)
    assert inbox.commands == []
    await gate.metric_reaches(1, "risk_kill_switch_engaged", scope="user")  # read from PostgreSQL
    assert (await gate.metrics()).value("risk_kill_switch_engaged", scope="global") == 0


async def test_two_replicas_deciding_in_parallel_never_exceed_an_aggregate_limit(gate: Gate) -> None:
    inbox = await started(gate, replicas=2)
    await gate.send(subjects.mode_requests(str(gate.user_id)), gate.autonomous())
    # 0.01 BTC at 29,900 is 299 USDT; a position limit of 1,000 USDT at the reference allows three.
    await gate.limits(max_position_notional=Decimal(1000), max_total_exposure=Decimal(1000))
    await asyncio.sleep(1.0)
    sent = [gate.intent(limit_price=Decimal(29900) - i) for i in range(20)]  # distinct digests
    await asyncio.gather(*(gate.send(subjects.intents(str(gate.user_id)), i) for i in sent))
    for intent in sent:
        deadline = asyncio.get_running_loop().time() + 30
        while not inbox.of(intent.intent_id):
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
    approved = [i for i in sent if D.APPROVED in inbox.of(i.intent_id)]
    assert len(approved) == 3
    assert {d.check for d in inbox.decisions if d.outcome is D.DENIED} == {"max_position"}
