"""What the checks share: their signature, exact arithmetic, the order's numbers and readable amounts.

Every check runs inside ``EXACT``, a decimal context wide enough that sums and products of
NUMERIC(38, 18) values are never rounded; comparisons are made by multiplying out rather than
dividing, so a boundary is decided exactly (``0.1 + 0.2`` is ``0.3`` here, at any magnitude).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import OrderType
from shared.messages.base import plain_decimal

Check = Callable[[Proposal, Limits, MarketView, AccountView, datetime], Failure | None]
"""A named, pure pre-trade control: a refusal with its reason, or None to let the order pass."""

EXACT = Context(prec=200, traps=[InvalidOperation, DivisionByZero, Overflow])
"""Three 38-digit factors multiply to at most 114 digits: nothing a check computes is rounded."""

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def exact(check: Check) -> Check:
    """Run ``check`` in the exact context, whoever calls it."""

    @functools.wraps(check)
    def run(
        proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
    ) -> Failure | None:
        with localcontext(EXACT):
            return check(proposal, limits, market, account, now)

    return run


def age(now: datetime, then: datetime) -> timedelta | None:
    """How long ago ``then`` was; None when one timestamp is naive and the other is not."""
    if (now.tzinfo is None) != (then.tzinfo is None):
        return None
    return now - then


def fresh_reference(market: MarketView, limits: Limits, now: datetime) -> Decimal | None:
    """The reference price if it is positive and no older (nor further ahead) than the limit."""
    price, at = market.reference_price, market.reference_at
    if price is None or at is None or not price.is_finite() or price <= 0:
        return None
    elapsed = age(now, at)
    bound = timedelta(seconds=limits.reference_max_age_s)
    return price if elapsed is not None and -bound <= elapsed <= bound else None


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Binance's ``value % step == 0``; a zero step means no step."""
    return step <= 0 or value % step == 0


def order_notional(proposal: Proposal, reference: Decimal) -> Decimal:
    """The order's value in the quote asset: the quote amount, or quantity at the limit price
    (a market order's at the reference price)."""
    if proposal.quote_quantity is not None:
        return proposal.quote_quantity
    price = proposal.limit_price if proposal.order_type is OrderType.LIMIT else None
    return (proposal.quantity or ZERO) * (price or reference)


def signed_exposure(proposal: Proposal, reference: Decimal) -> Decimal:
    """What the order adds to the symbol's position, valued at the reference price (a quote
    amount is its estimated base quantity, quote / reference, times the reference)."""
    if proposal.quote_quantity is not None:
        value = proposal.quote_quantity
    else:
        value = (proposal.quantity or ZERO) * reference
    return value * proposal.signed_direction


def num(value: Decimal) -> str:
    """An exact number without exponent or trailing zeros: ``25000``, ``0.00001``."""
    return plain_decimal(value)


def money(value: Decimal) -> str:
    """An exact amount with at least cents: ``30000.00``, ``0.123456``."""
    return f"{value:.2f}" if (value * HUNDRED) % 1 == 0 else plain_decimal(value)


def about(value: Decimal, *, up: bool = True) -> str:
    """A derived quantity for display only, to 8 decimals, rounded away from the bound it misses."""
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    return plain_decimal(value.quantize(Decimal("1e-8"), rounding=rounding))


def describe(proposal: Proposal) -> str:
    """``buy 0.5 BTC/USDT at 30000`` / ``sell 100 USDT of ETH/USDT at market``."""
    quote = proposal.symbol.partition("/")[2]
    amount = (
        f"{num(proposal.quantity)} {proposal.symbol}"
        if proposal.quantity is not None
        else f"{num(proposal.quote_quantity or ZERO)} {quote} of {proposal.symbol}"
    )
    at = f"at {num(proposal.limit_price)}" if proposal.limit_price is not None else "at market"
    return f"{proposal.side.value} {amount} {at}"
