"""Builders for the risk gate's checks: one order, market and account that pass every check, and
``replace`` to move one value to a boundary."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.risk_gate.checks import Check
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import IntentSource, OrderSide, OrderType, VenueName
from shared.domain.market_rules import MarketRules

D = Decimal
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
USER = uuid.UUID("00000000-0000-4000-8000-000000000001")

RULES = MarketRules(
    symbol="BTC/USDT", base="BTC", quote="USDT", tick_size=D("0.01"), min_price=D("0.01"),
    max_price=D("1000000"), step_size=D("0.00001"), min_qty=D("0.00001"), max_qty=D("9000"),
    market_step_size=D("0.00001"), market_min_qty=D("0"), market_max_qty=D("100"),
    min_notional=D("5"), max_notional=D("0"), quote_step=D("0.00000001"),
)  # fmt: skip
"""Binance's BTCUSDT filters (MARKET_LOT_SIZE's maximum is tighter than LOT_SIZE's)."""

LIMITS = Limits()
"""A new user's defaults: 25000 per order, 50000 per position, 100000 in all, collar 5%."""

PROPOSAL = Proposal(
    intent_id="intent-1", user_id=USER, venue=VenueName.PAPER, symbol="BTC/USDT", side=OrderSide.BUY,
    order_type=OrderType.LIMIT, quantity=D("0.1"), quote_quantity=None, limit_price=D("30000.00"),
    source=IntentSource.PARSER, rule_id=None, correlation_id="intent-1", received_at=NOW,
)  # fmt: skip
"""Buy 0.1 BTC at 30000: 3000 USDT, well inside every limit."""

MARKET = MarketView(rules=RULES, trading=True, reference_price=D("30000.00"), reference_at=NOW)

ACCOUNT = AccountView(free_balances={"USDT": D("100000"), "BTC": D("10")})


def proposal(**changes: Any) -> Proposal:
    return replace(PROPOSAL, **changes)


def market_order(**changes: Any) -> Proposal:
    """A market order by quantity unless ``quote_quantity`` (with ``quantity=None``) is given."""
    return replace(PROPOSAL, **{"order_type": OrderType.MARKET, "limit_price": None, **changes})


def by_quote(amount: str, **changes: Any) -> Proposal:
    """A market order for ``amount`` of the quote asset."""
    return market_order(**{"quantity": None, "quote_quantity": D(amount), **changes})


def limits(**changes: Any) -> Limits:
    return replace(LIMITS, **changes)


def market(**changes: Any) -> MarketView:
    return replace(MARKET, **changes)


def rules(**changes: Any) -> MarketRules:
    return replace(RULES, **changes)


def account(**changes: Any) -> AccountView:
    return replace(ACCOUNT, **changes)


def run(
    check: Check,
    p: Proposal = PROPOSAL,
    *,
    lim: Limits = LIMITS,
    mkt: MarketView = MARKET,
    acct: AccountView = ACCOUNT,
    now: datetime = NOW,
) -> Failure | None:
    return check(p, lim, mkt, acct, now)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)
