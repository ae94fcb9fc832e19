"""Per-user throttles: message rates, open orders, the per-rule execution throttle and duplicates."""

from __future__ import annotations

from datetime import datetime

from services.risk_gate.checks import (
    DUPLICATE_INTENT,
    INTENT_RATE,
    MAX_OPEN_ORDERS,
    ORDER_RATE,
    RULE_DISABLED,
    RULE_THROTTLE,
)
from services.risk_gate.checks.throttles import (
    duplicate_intent,
    intent_rate,
    max_open_orders,
    order_rate,
    rule_disabled,
    rule_throttle,
)
from services.risk_gate.model import Failure
from shared.domain.enums import IntentSource
from tests.unit.risk_gate.support import NOW, D, account, limits, proposal, run, seconds

BY_RULE = proposal(source=IntentSource.RULE, rule_id="dip-buyer")


def refused(failure: Failure | None, check: str) -> str:
    assert failure is not None and failure.check == check, failure
    return failure.reason


# repeated automated execution throttle (RTS 6 Art. 15(3))


def test_an_intent_of_a_disabled_rule_is_refused_until_a_person_re_enables_it() -> None:
    reason = refused(
        run(rule_disabled, BY_RULE, acct=account(disabled_rules=frozenset({"dip-buyer"}))), RULE_DISABLED
    )
    assert reason == "rule dip-buyer is disabled until a person re-enables it"


def test_another_rule_being_disabled_does_not_matter() -> None:
    assert run(rule_disabled, BY_RULE, acct=account(disabled_rules=frozenset({"other"}))) is None


def test_intents_that_no_rule_made_are_not_rule_throttled() -> None:
    busy = account(disabled_rules=frozenset({"dip-buyer"}), rule_executions={"dip-buyer": 99})
    assert run(rule_disabled, acct=busy) is None and run(rule_throttle, acct=busy) is None


def test_a_rule_below_its_execution_limit_passes_and_at_the_limit_is_throttled() -> None:
    assert run(rule_throttle, BY_RULE, acct=account(rule_executions={"dip-buyer": 2})) is None
    reason = refused(
        run(rule_throttle, BY_RULE, acct=account(rule_executions={"dip-buyer": 3})), RULE_THROTTLE
    )
    assert reason == (
        "rule dip-buyer has already executed 3 times within 3600 s (limit 3); "
        "it is disabled until a person re-enables it"
    )


def test_the_execution_limit_is_the_users() -> None:
    once = limits(rule_max_executions=1)
    assert run(rule_throttle, BY_RULE, lim=once, acct=account(rule_executions={"dip-buyer": 1})) is not None


def test_the_throttle_and_the_disabled_rule_have_distinct_check_names() -> None:
    assert RULE_THROTTLE != RULE_DISABLED


# duplicates (15c3-5: duplicative orders)


def seen(at: datetime) -> dict[str, datetime]:
    return {proposal().digest: at}


def test_the_same_order_seen_inside_the_window_is_refused_as_a_duplicate() -> None:
    reason = refused(
        run(duplicate_intent, acct=account(recent_digests=seen(NOW - seconds(12)))), DUPLICATE_INTENT
    )
    assert reason == (
        "the same order (buy 0.1 BTC/USDT at 30000) was proposed 12 s ago; "
        "a repeat within 60 s is refused as a likely duplicate"
    )


def test_exactly_at_the_end_of_the_window_is_still_a_duplicate_and_a_second_later_is_not() -> None:
    assert run(duplicate_intent, acct=account(recent_digests=seen(NOW - seconds(60)))) is not None
    assert run(duplicate_intent, acct=account(recent_digests=seen(NOW - seconds(61)))) is None


def test_a_new_intent_id_with_the_same_parameters_is_still_a_duplicate() -> None:
    again = proposal(intent_id="intent-2", correlation_id="intent-2")
    assert run(duplicate_intent, again, acct=account(recent_digests=seen(NOW))) is not None


def test_the_same_parameters_written_with_other_trailing_zeros_are_a_duplicate() -> None:
    same = proposal(quantity=D("0.10000"), limit_price=D("30000"))
    assert run(duplicate_intent, same, acct=account(recent_digests=seen(NOW))) is not None


def test_different_parameters_are_not_a_duplicate() -> None:
    assert run(duplicate_intent, proposal(quantity=D("0.2")), acct=account(recent_digests=seen(NOW))) is None


def test_a_timestamp_that_cannot_be_compared_counts_as_a_duplicate() -> None:
    naive = datetime(2025, 3, 3, 11, 0)
    assert run(duplicate_intent, acct=account(recent_digests=seen(naive))) is not None


# message limits (RTS 6 Art. 15(1)(d)), per user


def test_intents_below_the_per_minute_limit_pass_and_at_it_are_refused() -> None:
    assert run(intent_rate, acct=account(intents_last_minute=59)) is None
    reason = refused(run(intent_rate, acct=account(intents_last_minute=60)), INTENT_RATE)
    assert reason == "60 intents in the last minute; your limit is 60 per minute"


def test_orders_below_the_per_minute_limit_pass_and_at_it_are_refused() -> None:
    assert run(order_rate, acct=account(orders_last_minute=29)) is None
    reason = refused(run(order_rate, acct=account(orders_last_minute=30)), ORDER_RATE)
    assert reason == "30 orders in the last minute; your limit is 30 per minute"


def test_open_orders_below_the_limit_pass_and_at_it_are_refused() -> None:
    assert run(max_open_orders, acct=account(open_orders=49)) is None
    reason = refused(run(max_open_orders, acct=account(open_orders=50)), MAX_OPEN_ORDERS)
    assert reason == "you have 50 open orders; your limit is 50"


def test_rate_limits_are_the_users() -> None:
    strict = limits(max_intents_per_minute=1, max_orders_per_minute=1, max_open_orders=1)
    busy = account(intents_last_minute=1, orders_last_minute=1, open_orders=1)
    assert all(
        run(check, lim=strict, acct=busy) is not None for check in (intent_rate, order_rate, max_open_orders)
    )
