"""Price collars (RTS 6 Art. 15(1)(a)): per order, and over a window of time.

Both are measured from the reference price, so without a fresh one nothing can be measured and
the gate fails closed: an order is never priced blind or against a stale market.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from services.risk_gate.checks._common import HUNDRED, age, exact, fresh_reference, num
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import OrderType

REFERENCE_PRICE = "reference_price"
PRICE_COLLAR = "price_collar"
CUMULATIVE_COLLAR = "cumulative_collar"

_BLIND = "refusing rather than pricing the order blind"


@exact
def reference_price(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """A positive reference price no older than ``reference_max_age_s`` (nor as far in the
    future, which means a broken clock). Exactly at the age limit passes."""
    price, at, symbol = market.reference_price, market.reference_at, proposal.symbol
    if price is None or at is None:
        return Failure(REFERENCE_PRICE, f"no reference price for {symbol}: {_BLIND}")
    if not price.is_finite() or price <= 0:
        return Failure(REFERENCE_PRICE, f"the reference price {price} for {symbol} is not a price: {_BLIND}")
    if fresh_reference(market, limits, now) is not None:
        return None
    elapsed = age(now, at)
    if elapsed is None:
        when = "of unknown age (its timestamp has no time zone)"
    elif elapsed < timedelta(0):
        when = f"timestamped {-elapsed // timedelta(seconds=1)} s in the future"
    else:
        when = f"{elapsed // timedelta(seconds=1)} s old"
    return Failure(
        REFERENCE_PRICE,
        f"the reference price for {symbol} is {when}; at most {limits.reference_max_age_s} s is allowed: "
        f"refusing rather than trading on a stale price",
    )


def _band(centre: Decimal, pct: Decimal) -> tuple[Decimal, Decimal]:
    return centre * (HUNDRED - pct) / HUNDRED, centre * (HUNDRED + pct) / HUNDRED


def _outside(price: Decimal, centre: Decimal, pct: Decimal) -> bool:
    """|price - centre| / centre > pct / 100, multiplied out so the boundary is exact."""
    return abs(price - centre) * HUNDRED > pct * centre


@exact
def price_collar(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """A limit price at most ``price_collar_pct`` from the reference (exactly at the collar
    passes); a market order's expected price is the reference, so it passes when that is fresh."""
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return Failure(PRICE_COLLAR, f"no fresh reference price for {proposal.symbol}: {_BLIND}")
    price = proposal.limit_price
    if proposal.order_type is not OrderType.LIMIT or price is None:
        return None
    pct = limits.price_collar_pct
    if not _outside(price, reference, pct):
        return None
    low, high = _band(reference, pct)
    return Failure(
        PRICE_COLLAR,
        f"limit price {num(price)} is more than {num(pct)}% from the reference price {num(reference)} "
        f"(allowed {num(low)} to {num(high)})",
    )


@exact
def cumulative_collar(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The order's price (limit, or the reference for a market order) at most
    ``cumulative_collar_pct`` from the window's first reference, so a run of orders cannot walk
    the price away step by step "over a specified period of time". Before a window has a first
    reference, the current reference is it."""
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return Failure(CUMULATIVE_COLLAR, f"no fresh reference price for {proposal.symbol}: {_BLIND}")
    window = market.window_reference if market.window_reference is not None else reference
    if not window.is_finite() or window <= 0:
        return Failure(CUMULATIVE_COLLAR, f"the window's reference price {window} is not a price: {_BLIND}")
    price = proposal.limit_price if proposal.order_type is OrderType.LIMIT else None
    price = price or reference
    pct = limits.cumulative_collar_pct
    if not _outside(price, window, pct):
        return None
    low, high = _band(window, pct)
    return Failure(
        CUMULATIVE_COLLAR,
        f"price {num(price)} is more than {num(pct)}% from {num(window)}, the reference when this "
        f"{limits.collar_window_s} s window opened (allowed {num(low)} to {num(high)})",
    )
