"""Is this an order the venue would take: a listed, trading symbol and exact, in-filter numbers.

The gate approves exact parameters (a person approves what the digest binds), so a price off
the tick or a quantity off the step is refused, never rounded. The filters are Binance's
(PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL; a zero bound is no bound); refusing here
keeps a doomed order from ever reaching the exchange (15c3-5 (c)(2)(ii): pre-order-entry
requirements).
"""

from __future__ import annotations

from datetime import datetime

from services.risk_gate.checks._common import (
    ZERO,
    about,
    exact,
    fresh_reference,
    is_multiple,
    money,
    num,
    order_notional,
)
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import OrderSide, OrderType

SYMBOL_ALLOWED = "symbol_allowed"
SYMBOL_TRADING = "symbol_trading"
ORDER_SHAPE = "order_shape"
PRICE_FILTER = "price_filter"
LOT_SIZE = "lot_size"
NOTIONAL = "notional"


@exact
def symbol_allowed(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """Only symbols on the user's list (15c3-5 (c)(2)(iii): restricted instruments)."""
    if limits.allowed_symbols is None or proposal.symbol in limits.allowed_symbols:
        return None
    allowed = ", ".join(sorted(limits.allowed_symbols)) or "none"
    return Failure(SYMBOL_ALLOWED, f"{proposal.symbol} is not among your allowed symbols ({allowed})")


@exact
def symbol_trading(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """The venue lists the symbol and it is trading now (not halted, not in a break)."""
    venue = proposal.venue.value
    if market.rules is None:
        return Failure(SYMBOL_TRADING, f"{proposal.symbol} is not listed on {venue}")
    if market.rules.symbol != proposal.symbol:
        return Failure(
            SYMBOL_TRADING,
            f"the market data at hand is for {market.rules.symbol}, not {proposal.symbol}: refusing",
        )
    if not market.trading:
        return Failure(SYMBOL_TRADING, f"{proposal.symbol} is not trading on {venue} right now")
    return None


@exact
def order_shape(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """One positive amount, and a price exactly when the order type needs one; a quote amount
    only for market orders (Binance's ``quoteOrderQty``). The intent schema already says so; the
    gate does not rely on it."""
    numbers = {
        "quantity": proposal.quantity,
        "quote quantity": proposal.quote_quantity,
        "limit price": proposal.limit_price,
    }
    for label, value in numbers.items():
        if value is not None and (not value.is_finite() or value <= 0):
            return Failure(ORDER_SHAPE, f"the {label} must be a positive number, was {value}")
    if (proposal.quantity is None) == (proposal.quote_quantity is None):
        return Failure(ORDER_SHAPE, "an order needs exactly one of a quantity or a quote quantity")
    if proposal.order_type is OrderType.MARKET:
        if proposal.limit_price is not None:
            return Failure(ORDER_SHAPE, "a market order takes no limit price")
        return None
    if proposal.limit_price is None:
        return Failure(ORDER_SHAPE, "a limit order needs a limit price")
    if proposal.quantity is None:
        return Failure(ORDER_SHAPE, "a limit order is sized by a base quantity, not a quote amount")
    return None


@exact
def price_filter(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """PRICE_FILTER on the limit price: a multiple of the tick, inside [minPrice, maxPrice]."""
    price, rules = proposal.limit_price, market.rules
    if proposal.order_type is not OrderType.LIMIT or price is None or rules is None:
        return None
    if not is_multiple(price, rules.tick_size):
        return Failure(
            PRICE_FILTER,
            f"limit price {num(price)} is not a multiple of the tick size {num(rules.tick_size)}",
        )
    if rules.min_price > 0 and price < rules.min_price:
        return Failure(
            PRICE_FILTER, f"limit price {num(price)} is below the exchange minimum {num(rules.min_price)}"
        )
    if rules.max_price > 0 and price > rules.max_price:
        return Failure(
            PRICE_FILTER, f"limit price {num(price)} is above the exchange maximum {num(rules.max_price)}"
        )
    return None


@exact
def lot_size(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """LOT_SIZE on every quantity, and MARKET_LOT_SIZE too on a market order's. A quote amount
    must sit on the quote precision, and its estimated quantity (quote / reference) must be at
    least one step and inside both filters' bounds."""
    rules = market.rules
    if rules is None:
        return None
    filters = [("LOT_SIZE", rules.step_size, rules.min_qty, rules.max_qty)]
    if proposal.order_type is OrderType.MARKET:
        filters.append(
            ("MARKET_LOT_SIZE", rules.market_step_size, rules.market_min_qty, rules.market_max_qty)
        )
    base = rules.base
    if proposal.quantity is not None:
        qty = proposal.quantity
        for name, step, low, high in filters:
            if not is_multiple(qty, step):
                reason = f"quantity {num(qty)} {base} is not a multiple of the step size {num(step)} ({name})"
                return Failure(LOT_SIZE, reason)
            if qty < low:
                return Failure(
                    LOT_SIZE, f"quantity {num(qty)} {base} is below the minimum {num(low)} ({name})"
                )
            if high > 0 and qty > high:
                return Failure(
                    LOT_SIZE, f"quantity {num(qty)} {base} is above the maximum {num(high)} ({name})"
                )
        return None
    quote = proposal.quote_quantity or ZERO
    if not is_multiple(quote, rules.quote_step):
        return Failure(
            LOT_SIZE,
            f"quote amount {num(quote)} {rules.quote} is not a multiple of "
            f"{num(rules.quote_step)} {rules.quote}",
        )
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return Failure(LOT_SIZE, f"no fresh reference price to estimate the {base} quantity: refusing")
    verb = "buys" if proposal.side is OrderSide.BUY else "sells"
    spend = f"{num(quote)} {rules.quote} {verb} about"
    for name, step, low, high in filters:
        floor = max(low, step)
        if quote < floor * reference:
            return Failure(
                LOT_SIZE,
                f"{spend} {about(quote / reference, up=False)} {base} at the reference {num(reference)}, "
                f"below the minimum {num(floor)} {base} ({name})",
            )
        if high > 0 and quote > high * reference:
            return Failure(
                LOT_SIZE,
                f"{spend} {about(quote / reference)} {base} at the reference {num(reference)}, "
                f"above the maximum {num(high)} {base} ({name})",
            )
    return None


@exact
def notional(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """NOTIONAL: the order's value inside [minNotional, maxNotional]; a market order by quantity is
    valued at the reference price, as Binance values it without a price."""
    rules = market.rules
    if rules is None:
        return None
    reference = fresh_reference(market, limits, now)
    needs_reference = proposal.order_type is OrderType.MARKET and proposal.quantity is not None
    if needs_reference and reference is None:
        return Failure(NOTIONAL, "no fresh reference price to value the market order: refusing")
    value = order_notional(proposal, reference or ZERO)
    if rules.min_notional > 0 and value < rules.min_notional:
        return Failure(
            NOTIONAL,
            f"order value {money(value)} {rules.quote} is below the exchange minimum of "
            f"{num(rules.min_notional)} {rules.quote}",
        )
    if rules.max_notional > 0 and value > rules.max_notional:
        return Failure(
            NOTIONAL,
            f"order value {money(value)} {rules.quote} is above the exchange maximum of "
            f"{num(rules.max_notional)} {rules.quote}",
        )
    return None
