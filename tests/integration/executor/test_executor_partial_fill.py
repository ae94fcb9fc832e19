"""A resting LIMIT buy partially filled by one trade, then canceled, end to end: the executor (its
own process) on real NATS and PostgreSQL, against the paper exchange.

The fill is made deterministic by printing a trade at the order's price through the exchange's
``POST /admin/trades``: it fills ``paper_fill_share`` of its quantity, exactly as a simulated trade
would. Duplicate and out-of-order fill reports are covered on the repository
(tests/integration/shared/db/test_db_orders.py); here the same fill reaches the executor again
through every reconciliation sweep and a restart, which must not count it twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from shared.db.models.orders import Order
from shared.db.models.portfolio import Balance, Position
from shared.domain.enums import OrderStatus, VenueName
from shared.messages.commands import CancelOrder, SubmitOrder
from tests.integration.executor.conftest import Stack
from tests.integration.executor.support import (
    SYMBOL,
    assert_database_equals_exchange,
    command,
)
from tests.support.paper import PaperServer

pytestmark = pytest.mark.asyncio
D = Decimal
S = OrderStatus
ORDER_QTY = D("0.010")
FILL_QTY = D("0.004")


@pytest.fixture(scope="module")
def executor_paper() -> Iterator[PaperServer]:
    """An exchange of this module's own: an injected print fills every resting order it crosses,
    whoever placed it, so it must not meet other modules' orders."""
    server = PaperServer(paper_history_candles=10, paper_orders_limit_10s=1000).start()
    yield server
    server.stop()


async def far_below_the_market(stack: Stack) -> Decimal:
    """A price the simulated trades do not reach during a test: 60% of the bid."""
    ticker = await stack.client.fetch_ticker(SYMBOL)
    return (D(str(ticker["bid"])) * D("0.6")).quantize(D("0.01"))


async def the_order(stack: Stack) -> Order:
    [order] = await stack.orders()
    return order


async def rest_a_limit_buy(stack: Stack) -> tuple[SubmitOrder, Decimal]:
    price = await far_below_the_market(stack)
    submit = command(stack, quantity=ORDER_QTY, limit_price=price)
    await stack.send(submit)

    async def accepted() -> bool:
        orders = await stack.orders()
        return bool(orders) and orders[0].status == S.ACCEPTED.value

    await stack.wait_for(accepted)
    return submit, price


def print_a_trade_filling(stack: Stack, price: Decimal, quantity: Decimal) -> None:
    """A trade at ``price`` big enough that its fill share is exactly ``quantity``."""
    stack.paper.inject_trade("BTCUSDT", price, quantity / stack.paper.settings.paper_fill_share)


async def filled(stack: Stack, quantity: Decimal, fills: int) -> bool:
    order = await the_order(stack)
    return order.filled_qty == quantity and len(await stack.fills()) == fills


async def position_and_balances(stack: Stack) -> tuple[Position | None, dict[str, tuple[Decimal, Decimal]]]:
    async with stack.sessionmaker() as session:
        await session.execute(text("SET LOCAL ROLE service_role"))
        position = await session.scalar(
            select(Position).where(Position.user_id == stack.user_id, Position.symbol == SYMBOL)
        )
        rows = await session.scalars(select(Balance).where(Balance.user_id == stack.user_id))
        return position, {b.asset: (b.free, b.locked) for b in rows}


async def venue_balances(stack: Stack) -> dict[str, tuple[Decimal, Decimal]]:
    balances = (await stack.client.fetch_balance())["info"]["balances"]
    return {b["asset"]: (D(b["free"]), D(b["locked"])) for b in balances}


async def test_a_partial_fill_then_cancel_keeps_the_fill_and_the_database_equals_the_exchange(
    stack: Stack,
) -> None:
    # Arrange: a LIMIT buy of 0.010 resting far below the market
    stack.start_executor()
    await stack.wait_ready()
    submit, price = await rest_a_limit_buy(stack)

    # Act: one trade at its price fills 0.004
    print_a_trade_filling(stack, price, FILL_QTY)
    await stack.wait_for(lambda: filled(stack, FILL_QTY, fills=1))

    # Assert: partially filled, the fill stored to the last decimal
    order = await the_order(stack)
    assert order.status == S.PARTIALLY_FILLED.value
    [fill] = await stack.fills()
    fee = FILL_QTY * stack.paper.settings.paper_commission_rate  # in BTC, the asset a buy receives
    assert (fill.order_id, fill.side, fill.quantity, fill.price) == (order.id, "buy", FILL_QTY, price)
    assert (fill.commission, fill.commission_asset) == (fee, "BTC")

    # Act: cancel the rest
    await stack.send(
        CancelOrder(
            user_id=str(stack.user_id),
            venue=VenueName.PAPER,
            client_order_id=submit.client_order_id,
            symbol=SYMBOL,
            ts_event=datetime.now(UTC),
        )
    )

    async def canceled() -> bool:
        return (await the_order(stack)).status == S.CANCELED.value

    await stack.wait_for(canceled)

    # Assert: canceled with the filled quantity kept, one fill, and the exchange's own account
    order = await the_order(stack)
    assert (order.venue_status, order.filled_qty, order.filled_quote_qty, order.avg_price) == (
        "CANCELED",
        FILL_QTY,
        price * FILL_QTY,
        price,
    )
    assert len(await stack.fills()) == 1
    await assert_database_equals_exchange(stack, [submit])
    expected = await venue_balances(stack)
    assert expected["USDT"] == (D("1000000") - price * FILL_QTY, D(0))  # the rest's lock released
    assert expected["BTC"] == (D("10") + FILL_QTY - fee, D(0))

    async def balances_stored() -> bool:  # the next reconciliation sweep stores the venue's word
        _, stored = await position_and_balances(stack)
        return all(stored.get(asset) == amounts for asset, amounts in expected.items())

    await stack.wait_for(balances_stored)
    position, _ = await position_and_balances(stack)
    assert position is not None
    assert (position.quantity, position.quote_spent) == (FILL_QTY - fee, price * FILL_QTY)


async def test_a_fill_seen_by_the_stream_every_sweep_and_after_a_restart_is_counted_once(
    stack: Stack,
) -> None:
    # Arrange: one fill taken while the executor runs (stream and sweeps both report it)
    stack.start_executor()
    await stack.wait_ready()
    submit, price = await rest_a_limit_buy(stack)
    print_a_trade_filling(stack, price, FILL_QTY)
    await stack.wait_for(lambda: filled(stack, FILL_QTY, fills=1))
    await asyncio.sleep(2)  # four sweeps at 0.5 s, each reading the fill again (5 s overlap)
    assert await filled(stack, FILL_QTY, fills=1)

    # Act: a second fill while the executor is down; the restart's sweep reads both again
    stack.kill()
    print_a_trade_filling(stack, price, FILL_QTY)
    stack.start_executor()
    await stack.wait_ready()
    await stack.wait_for(lambda: filled(stack, 2 * FILL_QTY, fills=2))
    await asyncio.sleep(2)

    # Assert: two fills, each counted once in the order and the position
    order = await the_order(stack)
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED.value, 2 * FILL_QTY)
    await assert_database_equals_exchange(stack, [submit])
    position, _ = await position_and_balances(stack)
    assert position is not None
    fees = 2 * FILL_QTY * stack.paper.settings.paper_commission_rate
    assert (position.quantity, position.quote_spent) == (2 * FILL_QTY - fees, 2 * price * FILL_QTY)
