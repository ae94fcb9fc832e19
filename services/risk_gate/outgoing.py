"""What the gate publishes, built deterministically from the intent, so a retry republishes the
very same messages (same ``Nats-Msg-Id``) and JetStream drops the copies."""

from __future__ import annotations

import hashlib
from datetime import datetime

from services.risk_gate.model import Proposal
from shared.domain.enums import DecisionOutcome, OrderType, TimeInForce
from shared.messages.base import derived_id
from shared.messages.commands import SubmitOrder
from shared.messages.risk import RiskDecisionMade


def client_order_id(intent_id: str) -> str:
    """One client order id per intent (35 characters; Binance allows 36): a redelivered
    approval can only ever name the same order."""
    return "cp-" + hashlib.sha256(intent_id.encode()).hexdigest()[:32]


def submit_order(proposal: Proposal, ts_event: datetime) -> SubmitOrder:
    return SubmitOrder(
        intent_id=proposal.intent_id,
        user_id=str(proposal.user_id),
        venue=proposal.venue,
        client_order_id=client_order_id(proposal.intent_id),
        symbol=proposal.symbol,
        side=proposal.side,
        order_type=proposal.order_type,
        quantity=proposal.quantity,
        quote_quantity=proposal.quote_quantity,
        limit_price=proposal.limit_price,
        time_in_force=TimeInForce.GTC if proposal.order_type is OrderType.LIMIT else None,
        message_id=derived_id("submit", proposal.intent_id),
        correlation_id=proposal.correlation_id,
        ts_event=ts_event,
    )


def decision(
    intent_id: str,
    user_id: str,
    outcome: DecisionOutcome,
    ts_event: datetime,
    *,
    correlation_id: str | None = None,
    reason: str = "",
    check: str | None = None,
    digest: str | None = None,
    expires_at: datetime | None = None,
    actor: str | None = None,
) -> RiskDecisionMade:
    """One decision per (intent, outcome): its id is derived from both."""
    return RiskDecisionMade(
        intent_id=intent_id,
        user_id=user_id,
        outcome=outcome,
        reason=reason[:1000],
        check=check,
        digest=digest,
        expires_at=expires_at,
        actor=actor,
        message_id=derived_id("decision", intent_id, outcome.value),
        correlation_id=correlation_id or intent_id,
        ts_event=ts_event,
    )


__all__ = ["client_order_id", "decision", "submit_order"]
