"""What the executor tests share: commands for the test's user, and the check that the database
equals the exchange to the last decimal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from shared.domain.enums import OrderSide, OrderStatus, OrderType, VenueName
from shared.messages.base import derived_id
from shared.messages.commands import SubmitOrder
from tests.integration.executor.conftest import Stack

SYMBOL = "BTC/USDT"
UNRESOLVED = {OrderStatus.INITIALIZED.value, OrderStatus.SUBMITTED.value, OrderStatus.PENDING_CANCEL.value}


def command(stack: Stack, *, order_type: OrderType = OrderType.LIMIT, **fields: Any) -> SubmitOrder:
    intent = uuid.uuid4().hex
    values: dict[str, Any] = {
        "intent_id": intent,
        "user_id": str(stack.user_id),
        "venue": VenueName.PAPER,
        "client_order_id": f"cp-{intent[:30]}",
        "symbol": SYMBOL,
        "side": OrderSide.BUY,
        "order_type": order_type,
        "quantity": Decimal("0.001"),
        "message_id": derived_id("submit", intent),
        "ts_event": datetime.now(UTC),
    }
    return SubmitOrder.model_validate({**values, **fields})


async def resting_price(stack: Stack) -> Decimal:
    ticker = await stack.client.fetch_ticker(SYMBOL)
    return (Decimal(str(ticker["bid"])) * Decimal("0.8")).quantize(Decimal("0.01"))


async def all_resolved(stack: Stack, count: int) -> bool:
    orders = await stack.orders()
    return len(orders) == count and not any(o.status in UNRESOLVED for o in orders)


async def assert_database_equals_exchange(stack: Stack, sent: list[SubmitOrder]) -> None:
    on_exchange = [o["info"] for o in await stack.client.fetch_orders(SYMBOL, None, 1000)]
    ours = {c.client_order_id for c in sent}
    mine = [o for o in on_exchange if o["clientOrderId"] in ours]
    placed = [c for c in sent if c.symbol == SYMBOL]
    assert sorted(o["clientOrderId"] for o in mine) == sorted(c.client_order_id for c in placed)  # once each
    rows = {o.client_order_id: o for o in await stack.orders()}
    fills = await stack.fills()
    trades = [t["info"] for t in await stack.client.fetch_my_trades(SYMBOL, None, 1000)]
    for venue_order in mine:
        row = rows[venue_order["clientOrderId"]]
        assert row.venue_order_id == str(venue_order["orderId"])
        assert row.venue_status == venue_order["status"]
        assert row.filled_qty == Decimal(venue_order["executedQty"])
        assert row.filled_quote_qty == Decimal(venue_order["cummulativeQuoteQty"])
        assert row.requested_qty == Decimal(venue_order["origQty"])
        theirs = {(str(t["id"]), Decimal(t["qty"]), Decimal(t["price"]), Decimal(t["commission"]))
                  for t in trades if str(t["orderId"]) == row.venue_order_id}  # fmt: skip
        stored = {(f.trade_id, f.quantity, f.price, f.commission) for f in fills if f.order_id == row.id}
        assert stored == theirs


async def eventually(check: Any, within_s: float = 15) -> None:
    """Run an assertion until it holds: a hidden order becomes visible to queries only later."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        try:
            await check()
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.3)
