"""The account's own limits: the daily loss limit's reduce-only state, and free balance (15c3-5
(c)(1)(i): credit and capital thresholds; RTS 6 Art. 15(4)-(5), risk limits based on capital).
"""

from __future__ import annotations

from datetime import datetime

from services.risk_gate.checks._common import HUNDRED, ZERO, about, exact, fresh_reference, money, num
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import OrderSide, OrderType

REDUCE_ONLY = "reduce_only"
"""The service puts the user in reduce-only when this check fails (see ``reduce_only_active``)."""
BALANCE = "balance"


def reduce_only_active(limits: Limits, account: AccountView) -> bool:
    """Reduce-only: the account says so, or today's loss has reached the daily loss limit."""
    return account.reduce_only or account.drawdown >= limits.daily_loss_limit


@exact
def reduce_only(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """In reduce-only only an order against the existing position passes, for at most what is
    left of it once orders in flight are counted (Art. 15(2)), so two reducing orders cannot
    together overshoot into a new position. A quote amount is sized at the reference price."""
    if not reduce_only_active(limits, account):
        return None
    quote_asset = market.rules.quote if market.rules is not None else proposal.symbol.partition("/")[2]
    why = (
        "your account is in reduce-only mode"
        if account.reduce_only
        else f"today's loss of {money(account.drawdown)} {quote_asset} has reached your daily limit "
        f"of {num(limits.daily_loss_limit)} {quote_asset}"
    )

    def refuse(detail: str) -> Failure:
        return Failure(REDUCE_ONLY, f"reduce-only: {why}; {detail}")

    symbol = proposal.symbol
    position = account.positions.get(symbol, ZERO)
    if position == 0:
        return refuse(f"you hold no {symbol} position to reduce")
    closing = OrderSide.SELL if position > 0 else OrderSide.BUY
    if proposal.side is not closing:
        return refuse(f"only {closing.value} orders that reduce your {symbol} position are accepted")
    net = position + account.in_flight.get(symbol, ZERO)
    room = min(abs(position), abs(net)) if net * position > 0 else ZERO
    if room == 0:
        return refuse(f"orders in flight already close your {symbol} position")
    allowed = f"{closing.value} at most {num(room)} of your {symbol} position"
    if proposal.quantity is not None:
        return None if proposal.quantity <= room else refuse(f"you may {allowed}")
    reference = fresh_reference(market, limits, now)
    if reference is None:
        return refuse(f"no fresh reference price to size the order; you may {allowed}")
    quote = proposal.quote_quantity or ZERO
    return None if quote <= room * reference else refuse(f"you may {allowed}")


@exact
def balance(
    proposal: Proposal, limits: Limits, market: MarketView, account: AccountView, now: datetime
) -> Failure | None:
    """Enough free balance for the worst the order may spend. A buy spends quote: the limit
    price x quantity, the quote amount, or for a market buy by quantity the reference x quantity
    raised by the price collar (the dearest fill the gate would call expected). A sell spends
    base: the quantity, or for a market sell by quote amount quote / (reference lowered by the
    collar). Exactly enough passes."""
    rules = market.rules
    if rules is None:
        return Failure(BALANCE, f"{proposal.symbol} is not listed, so its assets are unknown: refusing")
    reference = fresh_reference(market, limits, now)
    by_quantity = proposal.quantity is not None
    pct = limits.price_collar_pct
    if proposal.order_type is OrderType.MARKET and reference is None:
        return Failure(BALANCE, f"no fresh reference price for {proposal.symbol} to size the order: refusing")
    qty, quote = proposal.quantity or ZERO, proposal.quote_quantity or ZERO
    if proposal.side is OrderSide.BUY:
        free = account.free_balances.get(rules.quote, ZERO)
        if proposal.order_type is OrderType.LIMIT:
            need, how = qty * (proposal.limit_price or ZERO), ""
        elif by_quantity:
            worst = (reference or ZERO) * (HUNDRED + pct) / HUNDRED
            need, how = qty * worst, f" (at up to {num(worst)}, the reference plus the {num(pct)}% collar)"
        else:
            need, how = quote, ""
        if free >= need:
            return None
        return Failure(
            BALANCE,
            f"this buy needs {money(need)} {rules.quote}{how} but only {money(free)} {rules.quote} is free",
        )
    free = account.free_balances.get(rules.base, ZERO)
    if by_quantity:
        if free >= qty:
            return None
        return Failure(
            BALANCE, f"this sell needs {num(qty)} {rules.base} but only {num(free)} {rules.base} is free"
        )
    worst = (reference or ZERO) * (HUNDRED - pct) / HUNDRED
    if worst > 0 and free * worst >= quote:
        return None
    needed = (
        f"about {about(quote / worst)} {rules.base}" if worst > 0 else f"an unbounded amount of {rules.base}"
    )
    return Failure(
        BALANCE,
        f"selling {num(quote)} {rules.quote} of {rules.base} at market may take up to {needed} (at "
        f"{num(worst)}, the reference less the {num(pct)}% collar) but only {num(free)} {rules.base} is free",
    )
