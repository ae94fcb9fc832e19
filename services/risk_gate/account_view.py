"""Load the ``AccountView`` a decision is checked against, under the user's row lock.

Here, not in ``shared``, because ``AccountView`` is the gate's contract. The loader takes the
caller's session: it locks the user's ``risk_accounts`` row first, so every number below is what
the previous decision (on any replica) left, and the day's high-water mark it moves commits with
the decision.

Quantities in flight are what open orders still have to fill plus approved intents the executor
has not stored an order for yet; only the latter are taken off free balances, because the venue
already holds back what open orders will spend (its ``free`` excludes ``locked``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.risk_gate.model import AccountView
from shared.db.models.orders import Order
from shared.db.models.portfolio import Balance, Position
from shared.db.repositories import disabled_rules, intents, risk_accounts
from shared.domain.enums import OrderSide
from shared.domain.order_fsm import OPEN
from shared.domain.risk_limits import Limits
from shared.domain.symbols import split_symbol

ZERO = Decimal(0)
MINUTE = timedelta(minutes=1)


def _base_quantity(
    quantity: Decimal | None, quote_quantity: Decimal | None, price: Decimal | None
) -> Decimal | None:
    """Base quantity of an order given in either asset; None when quote-sized and no price is known."""
    if quantity is not None:
        return quantity
    if quote_quantity is None or not price:
        return None
    return quote_quantity / price


def _equity(balances: Mapping[str, Decimal], references: Mapping[str, Decimal], quote: str) -> Decimal:
    """Balances valued in ``quote``; an asset without a reference counts as zero (only stricter)."""
    total = ZERO
    for asset, amount in balances.items():
        price = Decimal(1) if asset == quote else references.get(f"{asset}/{quote}")
        if price is not None:
            total += amount * price
    return total


async def account_view(
    session: AsyncSession,
    user_id: uuid.UUID,
    venue: str,
    symbols_reference: Mapping[str, Decimal],
    *,
    limits: Limits,
    now: datetime,
    quote_asset: str = "USDT",
    locked: risk_accounts.RiskAccount | None = None,
) -> AccountView:
    """Lock the user (unless ``locked`` says the caller holds the lock already) and read their
    account; pass a reference price for every asset they hold."""
    account = locked or await risk_accounts.lock(session, user_id)

    position_rows = await session.execute(
        select(Position.symbol, Position.quantity).where(
            Position.user_id == user_id, Position.venue == venue, Position.quantity != 0
        )
    )
    positions = {symbol: quantity for symbol, quantity in position_rows}

    in_flight: dict[str, Decimal] = defaultdict(Decimal)
    open_orders = (
        await session.scalars(
            select(Order).where(
                Order.user_id == user_id, Order.venue == venue, Order.status.in_([s.value for s in OPEN])
            )
        )
    ).all()
    for order in open_orders:
        price = order.limit_price or symbols_reference.get(order.symbol)
        if order.requested_qty is not None:
            remaining: Decimal | None = order.requested_qty - order.filled_qty
        else:
            left = (order.requested_quote_qty or ZERO) - order.filled_quote_qty
            remaining = _base_quantity(None, left, price)
        if remaining is not None and remaining > 0:
            in_flight[order.symbol] += remaining if order.side == OrderSide.BUY else -remaining

    balance_rows = await session.execute(
        select(Balance.asset, Balance.free, Balance.locked).where(
            Balance.user_id == user_id, Balance.venue == venue
        )
    )
    free: dict[str, Decimal] = defaultdict(Decimal)
    held: dict[str, Decimal] = {}
    for asset, free_amount, locked_amount in balance_rows:
        free[asset] += free_amount
        held[asset] = free_amount + locked_amount

    for intent in await intents.unplaced(session, user_id, venue):
        price = intent.limit_price or symbols_reference.get(intent.symbol) or intent.reference_price
        quantity = _base_quantity(intent.quantity, intent.quote_quantity, price)
        base, quote = split_symbol(intent.symbol)
        if quantity is not None:
            in_flight[intent.symbol] += quantity if intent.side == OrderSide.BUY else -quantity
        if intent.side == OrderSide.BUY:
            spend = intent.quote_quantity or (None if price is None else (intent.quantity or ZERO) * price)
            free[quote] -= spend or ZERO
        else:
            free[base] -= quantity or ZERO

    intents_last_minute, orders_last_minute = await intents.throughput(session, user_id, now - MINUTE)
    digests = await intents.recent_digests(
        session, user_id, now - timedelta(seconds=limits.duplicate_window_s)
    )
    executions = await intents.rule_executions(
        session, user_id, now - timedelta(seconds=limits.rule_window_s)
    )
    paused = await disabled_rules.disabled(session, user_id)

    equity = _equity(held, symbols_reference, quote_asset)
    today = now.astimezone(UTC).date()
    high_water = account.day_high_water if account.day == today else None
    if high_water is None or equity > high_water:
        high_water = equity
        await risk_accounts.move_high_water(session, user_id, today, high_water)

    return AccountView(
        positions=positions,
        in_flight={symbol: quantity for symbol, quantity in in_flight.items() if quantity != 0},
        reference_prices=dict(symbols_reference),
        open_orders=len(open_orders),
        free_balances=dict(free),
        intents_last_minute=intents_last_minute,
        orders_last_minute=orders_last_minute,
        recent_digests=digests,
        rule_executions=executions,
        disabled_rules=frozenset(rule.rule_id for rule in paused),
        drawdown=high_water - equity,
        reduce_only=account.reduce_only,
    )


__all__ = ["account_view"]
