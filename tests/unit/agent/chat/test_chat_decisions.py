"""Every outcome of the risk gate told in a plain sentence, naming the trade when it is known."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.agent.chat.conversations import Origin
from services.agent.chat.decisions import explain, explanation_id
from shared.domain.enums import DecisionOutcome
from shared.messages.risk import RiskDecisionMade

ORIGIN = Origin("c1", "buy 0.01 BTC/USDT at market")
D = DecisionOutcome


def decision(outcome: DecisionOutcome, **fields: object) -> RiskDecisionMade:
    return RiskDecisionMade.model_validate(
        {"intent_id": "i-1", "user_id": "alice", "outcome": outcome, "ts_event": datetime.now(UTC), **fields}
    )


@pytest.mark.parametrize(
    ("made", "told"),
    [
        (decision(D.APPROVED), "Approved: buy 0.01 BTC/USDT at market. The order goes to the exchange now."),
        (
            decision(D.APPROVED, actor="trader"),
            "Approved by trader: buy 0.01 BTC/USDT at market. The order goes to the exchange now.",
        ),
        (
            decision(D.PENDING, digest="0" * 64, expires_at=datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)),
            "Waiting for your approval: buy 0.01 BTC/USDT at market. "
            "Approve or reject it on its card or under Pending approvals before 2030-05-06 07:08:09 UTC.",
        ),
        (
            decision(D.DENIED, check="balance", reason="needs 300 USDT, has 12."),
            "Denied by the balance check: buy 0.01 BTC/USDT at market: needs 300 USDT, has 12.",
        ),
        (
            decision(D.REJECTED, actor="trader"),
            "Rejected by trader: buy 0.01 BTC/USDT at market.",
        ),
        (
            decision(D.EXPIRED, reason="not approved within 5 minutes"),
            "Expired without approval: buy 0.01 BTC/USDT at market: not approved within 5 minutes.",
        ),
        (
            decision(D.KILLED, reason="kill switch engaged by ops"),
            "Stopped by the kill switch: buy 0.01 BTC/USDT at market: kill switch engaged by ops.",
        ),
    ],
    ids=["approved", "approved-by", "pending", "denied", "rejected", "expired", "killed"],
)
def test_each_outcome_is_told_with_its_reason(made: RiskDecisionMade, told: str) -> None:
    assert explain(made, ORIGIN) == told


def test_an_intent_from_elsewhere_is_named_by_its_id() -> None:
    assert (
        explain(decision(D.DENIED, check="kill_switch"), None)
        == "Denied by the kill_switch check: intent i-1."
    )


def test_the_explanation_id_derives_from_the_decision() -> None:
    made = decision(D.APPROVED)
    assert explanation_id(made) == explanation_id(made.with_changes(reason="again"))
    assert explanation_id(made) != explanation_id(decision(D.APPROVED))
