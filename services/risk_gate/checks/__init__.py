"""The pre-trade controls: small, named, pure checks run in order; the first refusal decides.

The model proposes, these dispose. Each check is a pure function of the proposal, the user's
limits, the market and the account at ``now`` (``Check``), returns a ``Failure`` naming itself
with a reason a trader can read, and uses exact decimals only. ``CHECKS`` runs the cheap and
definitive ones first: who and what may trade, throttles, a fresh reference price (fail closed),
reduce-only, the exchange's filters, the price collars, then size, exposure and balance.

Covered: RTS 6 Art. 15(1)(a)-(d) (price collars, maximum order value and volume, message
limits), 15(2) (orders in flight count), 15(3) (repeated execution throttle), and 15c3-5's
credit thresholds, erroneous and duplicative orders and restricted instruments.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from decimal import localcontext

from services.risk_gate.checks._common import EXACT, Check
from services.risk_gate.checks.account import BALANCE, REDUCE_ONLY, balance, reduce_only, reduce_only_active
from services.risk_gate.checks.exposure import (
    MAX_ORDER_QUANTITY,
    MAX_ORDER_VALUE,
    MAX_POSITION,
    MAX_TOTAL_EXPOSURE,
    max_order_quantity,
    max_order_value,
    max_position,
    max_total_exposure,
)
from services.risk_gate.checks.market import (
    LOT_SIZE,
    NOTIONAL,
    ORDER_SHAPE,
    PRICE_FILTER,
    SYMBOL_ALLOWED,
    SYMBOL_TRADING,
    lot_size,
    notional,
    order_shape,
    price_filter,
    symbol_allowed,
    symbol_trading,
)
from services.risk_gate.checks.prices import (
    CUMULATIVE_COLLAR,
    PRICE_COLLAR,
    REFERENCE_PRICE,
    cumulative_collar,
    price_collar,
    reference_price,
)
from services.risk_gate.checks.throttles import (
    DUPLICATE_INTENT,
    INTENT_RATE,
    MAX_OPEN_ORDERS,
    ORDER_RATE,
    RULE_DISABLED,
    RULE_THROTTLE,
    duplicate_intent,
    intent_rate,
    max_open_orders,
    order_rate,
    rule_disabled,
    rule_throttle,
)
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal

CHECKS: tuple[Check, ...] = (
    symbol_allowed,
    symbol_trading,
    order_shape,
    rule_disabled,
    rule_throttle,
    duplicate_intent,
    intent_rate,
    order_rate,
    max_open_orders,
    reference_price,
    reduce_only,
    price_filter,
    lot_size,
    notional,
    price_collar,
    cumulative_collar,
    max_order_value,
    max_order_quantity,
    max_position,
    max_total_exposure,
    balance,
)
"""Evaluation order; each check's name is its function's name."""

CHECK_NAMES: tuple[str, ...] = tuple(check.__name__ for check in CHECKS)
_UNWRAPPED: tuple[Check, ...] = tuple(inspect.unwrap(check) for check in CHECKS)
"""The checks without their own ``exact`` context: ``evaluate`` enters it once for all of them."""


def evaluate(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The first check that refuses, or None when every check passes."""
    with localcontext(EXACT):
        for check in _UNWRAPPED:
            failure = check(proposal, limits, market, account, now)
            if failure is not None:
                return failure
    return None


__all__ = [
    "BALANCE",
    "CHECKS",
    "CHECK_NAMES",
    "CUMULATIVE_COLLAR",
    "DUPLICATE_INTENT",
    "INTENT_RATE",
    "LOT_SIZE",
    "MAX_OPEN_ORDERS",
    "MAX_ORDER_QUANTITY",
    "MAX_ORDER_VALUE",
    "MAX_POSITION",
    "MAX_TOTAL_EXPOSURE",
    "NOTIONAL",
    "ORDER_RATE",
    "ORDER_SHAPE",
    "PRICE_COLLAR",
    "PRICE_FILTER",
    "REDUCE_ONLY",
    "REFERENCE_PRICE",
    "RULE_DISABLED",
    "RULE_THROTTLE",
    "SYMBOL_ALLOWED",
    "SYMBOL_TRADING",
    "Check",
    "evaluate",
    "reduce_only_active",
]
