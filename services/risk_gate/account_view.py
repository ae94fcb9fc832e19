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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.risk_gate.account_rows import AccountRows, Ask, read_accounts
from services.risk_gate.model import AccountView
from shared.db.repositories import risk_accounts
from shared.domain.enums import OrderSide
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
    rows = await read_rows(session, user_id, venue, limits, now)
    return await view_of(session, rows, account, symbols_reference, now=now, quote_asset=quote_asset)


async def read_rows(
    session: AsyncSession,
    user_id: uuid.UUID,
    venue: str,
    limits: Limits,
    now: datetime,
    intent_id: str | None = None,
) -> AccountRows:
    """The account's rows, under the lock the caller holds, with the windows ``limits`` set."""
    return (await read_accounts(session, venue, [ask(user_id, limits, now, intent_id)]))[user_id]


def ask(user_id: uuid.UUID, limits: Limits, now: datetime, intent_id: str | None = None) -> Ask:
    """What to read for ``user_id``: the windows their limits set, and maybe a stored intent."""
    return Ask(
        user_id, intent_id, minute_ago=now - MINUTE,
        digests_since=now - timedelta(seconds=limits.duplicate_window_s),
        rules_since=now - timedelta(seconds=limits.rule_window_s),
    )  # fmt: skip


async def view_of(
    session: AsyncSession,
    rows: AccountRows,
    account: risk_accounts.RiskAccount,
    symbols_reference: Mapping[str, Decimal],
    *,
    now: datetime,
    quote_asset: str = "USDT",
) -> AccountView:
    """Interpret the rows; a new equity high for the day is stored in ``session``'s transaction."""
    view, high_water = interpret(rows, account, symbols_reference, now=now, quote_asset=quote_asset)
    if high_water is not None:
        await risk_accounts.move_high_water(session, account.user_id, *high_water)
    return view


def interpret(
    rows: AccountRows,
    account: risk_accounts.RiskAccount,
    symbols_reference: Mapping[str, Decimal],
    *,
    now: datetime,
    quote_asset: str = "USDT",
) -> tuple[AccountView, tuple[date, Decimal] | None]:
    """The view, and (day, equity) when the equity is a new high for the day, which the caller
    stores in the decision's transaction (None: nothing to store)."""
    in_flight: dict[str, Decimal] = defaultdict(Decimal)
    for order in rows.open_orders:
        price = order.limit_price or symbols_reference.get(order.symbol)
        if order.requested_qty is not None:
            remaining: Decimal | None = order.requested_qty - order.filled_qty
        else:
            left = (order.requested_quote_qty or ZERO) - order.filled_quote_qty
            remaining = _base_quantity(None, left, price)
        if remaining is not None and remaining > 0:
            in_flight[order.symbol] += remaining if order.side == OrderSide.BUY else -remaining

    free: dict[str, Decimal] = defaultdict(Decimal)
    held: dict[str, Decimal] = {}
    for asset, free_amount, locked_amount in rows.balances:
        free[asset] += free_amount
        held[asset] = free_amount + locked_amount

    for intent in rows.unplaced:
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

    equity = _equity(held, symbols_reference, quote_asset)
    today = now.astimezone(UTC).date()
    high_water = account.day_high_water if account.day == today else None
    moved = None
    if high_water is None or equity > high_water:
        high_water = equity
        moved = (today, high_water)

    view = AccountView(
        positions=rows.positions,
        in_flight={symbol: quantity for symbol, quantity in in_flight.items() if quantity != 0},
        reference_prices=dict(symbols_reference),
        open_orders=len(rows.open_orders),
        free_balances=dict(free),
        intents_last_minute=rows.intents_last_minute,
        orders_last_minute=rows.orders_last_minute,
        recent_digests=rows.recent_digests,
        rule_executions=rows.rule_executions,
        disabled_rules=rows.disabled_rules,
        drawdown=high_water - equity,
        reduce_only=account.reduce_only,
    )
    return view, moved


__all__ = ["account_view", "ask", "interpret", "read_rows", "view_of"]
