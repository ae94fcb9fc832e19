"""The intent a firing produces: its id is derived from the rule and the firing's sequence number.

``rule-<rule id>-<n>`` for the rule's n-th firing: the same firing gets the same id whichever
process or restart makes it, so the database (primary key) and JetStream (``Nats-Msg-Id``) both
refuse a second copy.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.agent.parser.model import Condition, Series, label
from services.agent.rules.definition import CompiledRule
from shared.domain.enums import IntentSource
from shared.messages.base import plain_decimal
from shared.messages.intents import TradeIntentCreated


def intent_id_for(rule_id: UUID, seq: int) -> str:
    return f"rule-{rule_id}-{seq}"


def _series(series: Series) -> str:
    text = label(series.indicator)
    if series.period is not None:
        text += f"({series.period})"
    return text if series.interval is None else f"{text} {series.interval}"


def describe(condition: Condition) -> str:
    """``price < 30000``, ``RSI(14) 1h crosses_below 30``, ``SMA(10) 1d rising``."""
    value = condition.value
    text = f"{_series(condition)} {condition.op}"
    if isinstance(value, Series):
        return f"{text} {_series(value)}"
    return text if value is None else f"{text} {plain_decimal(value)}"


def intent_for(rule: CompiledRule, seq: int, at: datetime) -> TradeIntentCreated:
    """The trade ``rule``'s ``seq``-th firing proposes; only the risk gate disposes."""
    command = rule.command
    intent_id = intent_id_for(rule.id, seq)
    return TradeIntentCreated(
        message_id=intent_id,
        correlation_id=intent_id,
        ts_event=at,
        intent_id=intent_id,
        user_id=str(rule.user_id),
        source=IntentSource.RULE,
        venue=rule.venue,
        symbol=command.symbol,
        side=command.side,
        order_type=command.order_type,
        quantity=command.amount,
        quote_quantity=command.quote_amount,
        limit_price=command.limit_price,
        rule_id=str(rule.id),
        rationale="rule fired: " + " and ".join(describe(c) for c in command.conditions),
    )


__all__ = ["describe", "intent_for", "intent_id_for"]
