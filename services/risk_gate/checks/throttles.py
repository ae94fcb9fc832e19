"""Throttles, per user: message limits (RTS 6 Art. 15(1)(d)), the repeated automated execution
throttle per rule (Art. 15(3)), open orders, and duplicate intents (15c3-5 (c)(1)(ii)).

Counts are of what came *before* this intent, so a limit of N lets N through and refuses the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.risk_gate.checks._common import age, describe, exact
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal

RULE_DISABLED = "rule_disabled"
RULE_THROTTLE = "rule_throttle"
"""The service disables the rule when this check fails."""
DUPLICATE_INTENT = "duplicate_intent"
INTENT_RATE = "intent_rate"
ORDER_RATE = "order_rate"
MAX_OPEN_ORDERS = "max_open_orders"


@exact
def rule_disabled(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """A disabled rule stays off until a designated person re-enables it (Art. 15(3))."""
    if proposal.rule_id is None or proposal.rule_id not in account.disabled_rules:
        return None
    return Failure(RULE_DISABLED, f"rule {proposal.rule_id} is disabled until a person re-enables it")


@exact
def rule_throttle(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """After ``rule_max_executions`` executions inside ``rule_window_s`` a rule is refused, and
    the service then disables it (Art. 15(3): "automatically disabled until re-enabled")."""
    if proposal.rule_id is None:
        return None
    runs = account.rule_executions.get(proposal.rule_id, 0)
    if runs < limits.rule_max_executions:
        return None
    return Failure(
        RULE_THROTTLE,
        f"rule {proposal.rule_id} has already executed {runs} times within {limits.rule_window_s} s "
        f"(limit {limits.rule_max_executions}); it is disabled until a person re-enables it",
    )


@exact
def duplicate_intent(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The same parameters (same digest) seen within ``duplicate_window_s`` look like an
    erroneous repeat (15c3-5: "duplicative orders"). Exactly at the window's end still counts;
    a timestamp that cannot be compared counts too (fail closed). ``recent_digests`` must not
    include this intent itself."""
    seen = account.recent_digests.get(proposal.digest)
    if seen is None:
        return None
    elapsed = age(now, seen)
    if elapsed is not None and elapsed > timedelta(seconds=limits.duplicate_window_s):
        return None
    ago = "" if elapsed is None else f" {max(elapsed, timedelta(0)) // timedelta(seconds=1)} s ago"
    return Failure(
        DUPLICATE_INTENT,
        f"the same order ({describe(proposal)}) was proposed{ago}; a repeat within "
        f"{limits.duplicate_window_s} s is refused as a likely duplicate",
    )


@exact
def intent_rate(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """At most ``max_intents_per_minute`` intents per user per minute (Art. 15(1)(d))."""
    if account.intents_last_minute < limits.max_intents_per_minute:
        return None
    return Failure(
        INTENT_RATE,
        f"{account.intents_last_minute} intents in the last minute; your limit is "
        f"{limits.max_intents_per_minute} per minute",
    )


@exact
def order_rate(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """At most ``max_orders_per_minute`` orders per user per minute (Art. 15(1)(d))."""
    if account.orders_last_minute < limits.max_orders_per_minute:
        return None
    return Failure(
        ORDER_RATE,
        f"{account.orders_last_minute} orders in the last minute; your limit is "
        f"{limits.max_orders_per_minute} per minute",
    )


@exact
def max_open_orders(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """At most ``max_open_orders`` open at once, this one included."""
    if account.open_orders < limits.max_open_orders:
        return None
    return Failure(
        MAX_OPEN_ORDERS,
        f"you have {account.open_orders} open orders; your limit is {limits.max_open_orders}",
    )
