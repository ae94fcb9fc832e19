"""Definitions the engine cannot run are refused with the reason; good ones round-trip."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.agent.rules.definition import RuleDefinitionError, check, compile_rule
from services.agent.rules.intents import intent_for, intent_id_for
from shared.domain.enums import IntentSource
from tests.unit.agent.rules.support import NOW, definition, record, rule


def _cross_symbol() -> dict[str, Any]:
    good = definition("buy 0.1 BTC if price crosses above the 50 SMA on the 1h chart")
    good["conditions"][0]["value"]["symbol"] = "ETH/USDT"
    return good


def _two_charts() -> dict[str, Any]:
    good = definition("buy 0.2 BTC if the 50 SMA crosses above the 200 SMA")
    good["conditions"][0]["value"]["interval"] = "4h"
    return good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"kind": "conditional_order"}, "invalid rule definition at side: Field required"),
        (definition("buy 0.1 BTC"), "a rule needs conditions"),
        ({**definition("buy 0.1 BTC if BTC < 30000"), "amount": "-1"}, "invalid rule definition at amount"),
        (_cross_symbol(), "compares BTC/USDT with ETH/USDT"),
        (_two_charts(), "reads two charts (1d and 4h)"),
        ("not even an object", "invalid rule definition"),
    ],
)
def test_bad_definitions_are_refused_with_the_reason(bad: Any, reason: str) -> None:
    with pytest.raises(RuleDefinitionError) as refused:
        check(bad)
    assert reason in str(refused.value)


def test_a_stored_rule_whose_symbol_is_not_its_orders_is_refused() -> None:
    stored = record(definition("buy 0.1 BTC if BTC < 30000"))
    with pytest.raises(RuleDefinitionError, match="not its order's"):
        compile_rule(replace(stored, symbol="ETH/USDT"))


def test_the_intent_of_a_firing_has_a_deterministic_id_and_the_rules_order() -> None:
    limit = rule("buy 0.5 BTC at 29900 if it dips below $30,000")
    first, again = intent_for(limit, 1, NOW), intent_for(limit, 1, NOW)
    assert first.intent_id == again.intent_id == first.message_id == intent_id_for(limit.id, 1)
    assert first.intent_id == f"rule-{limit.id}-1" and len(first.intent_id) <= 64
    assert intent_for(limit, 2, NOW).intent_id.endswith("-2")
    assert (first.source, first.rule_id, first.symbol, first.side) == (
        IntentSource.RULE, str(limit.id), "BTC/USDT", "buy"
    )  # fmt: skip
    assert (str(first.quantity), str(first.limit_price), first.order_type) == ("0.5", "29900", "limit")
    assert first.rationale == "rule fired: price < 30000"
