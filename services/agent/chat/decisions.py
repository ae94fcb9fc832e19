"""The risk gate's decisions, told to the trader in the conversation that asked for the trade."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.msg import Msg
from pydantic import ValidationError

from services.agent.chat.conversations import DEFAULT_CONVERSATION, ConversationMap, Origin
from shared.domain.enums import DecisionOutcome
from shared.messages import subjects
from shared.messages.base import derived_id
from shared.messages.chat import ChatReplied
from shared.messages.risk import RiskDecisionMade
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.pull import Poison


def _because(reason: str) -> str:
    return f": {reason.rstrip('.')}." if reason else "."


def _utc(moment: datetime) -> str:
    aware = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return f"{aware:%Y-%m-%d %H:%M:%S} UTC"


def explain(decision: RiskDecisionMade, origin: Origin | None) -> str:
    """One or two plain sentences on what the gate decided about the intent, and why."""
    what = origin.summary if origin is not None else f"intent {decision.intent_id}"
    by = f" by {decision.actor}" if decision.actor else ""
    match decision.outcome:
        case DecisionOutcome.APPROVED:
            return f"Approved{by}: {what}. The order goes to the exchange now."
        case DecisionOutcome.PENDING:
            until = "" if decision.expires_at is None else f" before {_utc(decision.expires_at)}"
            return (
                f"Waiting for your approval: {what}. "
                f"Approve or reject it on its card or under Pending approvals{until}."
            )
        case DecisionOutcome.DENIED:
            check = f" by the {decision.check} check" if decision.check else ""
            return f"Denied{check}: {what}{_because(decision.reason)}"
        case DecisionOutcome.REJECTED:
            return f"Rejected{by}: {what}{_because(decision.reason)}"
        case DecisionOutcome.EXPIRED:
            return f"Expired without approval: {what}{_because(decision.reason)}"
        case DecisionOutcome.KILLED:
            return f"Stopped by the kill switch: {what}{_because(decision.reason)}"


def explanation_id(decision: RiskDecisionMade) -> str:
    """Deterministic: a redelivered decision republishes the same explanation id."""
    return derived_id("decision-reply", decision.message_id)


class DecisionNotifier:
    """Handles ``risk.decision.<user>``: one final ``ChatReplied`` per decision."""

    def __init__(self, publisher: JetStreamPublisher, conversations: ConversationMap) -> None:
        self._publisher = publisher
        self._conversations = conversations

    async def on_decision(self, message: Msg) -> None:
        try:
            decision = RiskDecisionMade.model_validate_json(message.data)
        except ValidationError as e:
            raise Poison(f"invalid risk decision: {e}") from None
        if message.subject != subjects.decisions(decision.user_id):
            raise Poison(f"decision for user {decision.user_id!r} arrived on {message.subject!r}")
        origin = self._conversations.origin(decision.intent_id)
        reply = ChatReplied(
            message_id=explanation_id(decision),
            correlation_id=decision.intent_id,
            user_id=decision.user_id,
            conversation_id=origin.conversation_id if origin is not None else DEFAULT_CONVERSATION,
            request_id=decision.message_id,
            sequence=0,
            text=explain(decision, origin),
            final=True,
            ts_event=decision.ts_event,
        )
        await self._publisher.publish(subjects.chat_replies(decision.user_id), reply)
