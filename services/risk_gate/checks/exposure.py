"""Size and exposure: maximum order value and volume (RTS 6 Art. 15(1)(b)-(c)), and position and
total exposure limits counting every order already in flight (Art. 15(2); 15c3-5 (c)(1)(i):
credit thresholds).

Positions are valued at reference prices, so every comparison is multiplied out: a quote-amount
order's estimated quantity (quote / reference) is valued back at exactly its quote amount.
Orders that reduce the exposure always pass the position and exposure limits: a limit must never
stop a user from getting smaller.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from services.risk_gate.checks._common import (
    ZERO,
    about,
    exact,
    fresh_reference,
    money,
    num,
    order_notional,
    signed_exposure,
)
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal

MAX_ORDER_VALUE = "max_order_value"
MAX_ORDER_QUANTITY = "max_order_quantity"
MAX_POSITION = "max_position"
MAX_TOTAL_EXPOSURE = "max_total_exposure"


def _quote(market: MarketView, proposal: Proposal) -> str:
    return market.rules.quote if market.rules is not None else proposal.symbol.partition("/")[2]


def _no_reference(check: str, proposal: Proposal) -> Failure:
    return Failure(check, f"no fresh reference price for {proposal.symbol} to value the order: refusing")


@exact
def max_order_value(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The order's value (at its limit price, the reference for a market order, or its quote
    amount) at most ``max_order_notional``; exactly at the limit passes."""
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return _no_reference(MAX_ORDER_VALUE, proposal)
    value = order_notional(proposal, reference)
    if value <= limits.max_order_notional:
        return None
    quote = _quote(market, proposal)
    return Failure(
        MAX_ORDER_VALUE,
        f"order value {money(value)} {quote} exceeds your limit of {num(limits.max_order_notional)} {quote}",
    )


@exact
def max_order_quantity(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The base quantity at most ``max_order_quantity`` (None: no cap of the user's own); a quote
    amount's quantity is estimated at the reference price. Exactly at the limit passes."""
    cap = limits.max_order_quantity
    if cap is None:
        return None
    base = market.rules.base if market.rules is not None else proposal.symbol.partition("/")[0]
    if proposal.quantity is not None:
        if proposal.quantity <= cap:
            return None
        return Failure(
            MAX_ORDER_QUANTITY,
            f"quantity {num(proposal.quantity)} {base} exceeds your limit of {num(cap)} {base}",
        )
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return _no_reference(MAX_ORDER_QUANTITY, proposal)
    quote = proposal.quote_quantity or ZERO
    if quote <= cap * reference:
        return None
    return Failure(
        MAX_ORDER_QUANTITY,
        f"{num(quote)} {_quote(market, proposal)} is about {about(quote / reference)} {base} at the "
        f"reference price {num(reference)}, more than your limit of {num(cap)} {base}",
    )


def _symbol_exposure(proposal: Proposal, account: AccountView, reference: Decimal) -> tuple[Decimal, Decimal]:
    """The symbol's exposure (position + in flight, at the reference) now and with this order."""
    held = account.positions.get(proposal.symbol, ZERO) + account.in_flight.get(proposal.symbol, ZERO)
    current = held * reference
    return current, current + signed_exposure(proposal, reference)


@exact
def max_position(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """|position + in flight + this order| x reference at most ``max_position_notional``;
    exactly at the limit passes."""
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return _no_reference(MAX_POSITION, proposal)
    current, projected = _symbol_exposure(proposal, account, reference)
    if abs(projected) < abs(current) or abs(projected) <= limits.max_position_notional:
        return None
    quote = _quote(market, proposal)
    return Failure(
        MAX_POSITION,
        f"your {proposal.symbol} position would be worth {money(abs(projected))} {quote} counting open "
        f"orders, above your limit of {num(limits.max_position_notional)} {quote}",
    )


@exact
def max_total_exposure(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """Sum over symbols of |position + in flight| x reference, this order included, at most
    ``max_total_exposure``; exactly at the limit passes. A symbol held without a reference price
    cannot be valued, so the gate fails closed."""
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return _no_reference(MAX_TOTAL_EXPOSURE, proposal)
    current, projected = _symbol_exposure(proposal, account, reference)
    if abs(projected) < abs(current):
        return None
    total = abs(projected)
    for symbol in sorted((set(account.positions) | set(account.in_flight)) - {proposal.symbol}):
        held = account.positions.get(symbol, ZERO) + account.in_flight.get(symbol, ZERO)
        if held == 0:
            continue
        price = account.reference_prices.get(symbol)
        if price is None or not price.is_finite() or price <= 0:
            return Failure(
                MAX_TOTAL_EXPOSURE,
                f"no reference price for {symbol}, so your total exposure cannot be valued: refusing",
            )
        total += abs(held) * price
    if total <= limits.max_total_exposure:
        return None
    quote = _quote(market, proposal)
    return Failure(
        MAX_TOTAL_EXPOSURE,
        f"your total exposure would be {money(total)} {quote} counting open orders, above your limit "
        f"of {num(limits.max_total_exposure)} {quote}",
    )
