"""N orders in, exactly N orders on the exchange, and the database equal to it to the last decimal:
under every fault of the paper exchange, across SIGKILLs, with bad input mixed in; each fault
visible in the executor's ``/metrics``.

Partial fill then cancel is in test_executor_partial_fill.py.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from nats.js.api import DeliverPolicy

from shared.domain.enums import OrderStatus, OrderType
from shared.messages import subjects
from shared.messages.commands import SubmitOrder
from tests.integration.executor.conftest import Stack
from tests.integration.executor.support import (
    all_resolved,
    assert_database_equals_exchange,
    command,
    eventually,
    resting_price,
)

pytestmark = pytest.mark.asyncio


async def place(stack: Stack, count: int, *, market_every: int = 3) -> list[SubmitOrder]:
    price = await resting_price(stack)
    sent = []
    for i in range(count):
        if i % market_every == market_every - 1:
            cmd = command(stack, order_type=OrderType.MARKET)
        else:
            cmd = command(stack, limit_price=price)
        await stack.send(cmd)
        sent.append(cmd)
    return sent


FAULTS: dict[str, dict[str, Any]] = {
    "healthy": {},
    "latency": {"latency_ms": 150},
    "429 then healthy": {"order_status": 429, "retry_after_s": 1},
    "418 ban": {"order_status": 418, "retry_after_s": 2},
    "500 after accept": {"after_accept_status": 500},
    "503 after accept": {"after_accept_status": 503},
    "-1007 after accept": {"after_accept_timeout": True},
    "dropped after accept": {"after_accept_drop": True},
    "timeout and invisible": {"after_accept_timeout": True, "order_invisible_s": 1.0},
}


ERROR_CODES = {
    "429 then healthy": ("429",),
    "500 after accept": ("5xx",),
    "503 after accept": ("5xx",),
    "-1007 after accept": ("-1007", "timeout"),  # on a slow machine the client gives up first
}
"""The ``executor_exchange_errors_total`` codes each fault must show up under."""


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
async def test_n_orders_in_exactly_n_on_the_exchange_under_every_fault(stack: Stack, fault: str) -> None:
    stack.start_executor()
    await stack.wait_ready()
    if FAULTS[fault]:
        await stack.faults(FAULTS[fault])
    sent = await place(stack, 6)
    await asyncio.sleep(1.5)
    await stack.faults({"reset": True})
    await stack.wait_for(lambda: all_resolved(stack, len(sent)), within_s=40)
    await eventually(lambda: assert_database_equals_exchange(stack, sent))
    metrics = await stack.metrics()
    assert metrics.value("executor_order_events_total", status="submitted") == len(sent)
    assert metrics.value("executor_order_events_total", status="filled") == 2  # the market orders
    assert (metrics.value("executor_request_weight_used") or 0) > 0
    if fault in ("healthy", "latency"):
        assert metrics.value("executor_order_round_trip_seconds_count") == len(sent)
    if fault in ERROR_CODES:
        codes = ERROR_CODES[fault]
        assert sum(metrics.total("executor_exchange_errors_total", code=code) for code in codes) >= 1


async def test_sigkill_at_random_points_loses_and_duplicates_nothing(stack: Stack) -> None:
    rng = random.Random(7)
    await stack.faults({"latency_ms": 40})
    sent: list[SubmitOrder] = []
    for _ in range(3):
        stack.start_executor()
        await stack.wait_ready()
        burst = await place(stack, 5)
        sent += burst
        await asyncio.sleep(rng.uniform(0.05, 0.6))
        stack.kill()
    await stack.faults({"reset": True})
    stack.start_executor()
    await stack.wait_ready()
    await stack.wait_for(lambda: all_resolved(stack, len(sent)), within_s=40)
    await assert_database_equals_exchange(stack, sent)


async def test_a_fill_while_the_executor_is_down_is_stored_after_restart(stack: Stack) -> None:
    stack.start_executor()
    await stack.wait_ready()
    # Accepted and filled, but the answer is lost, the user stream is gone and queries do not see
    # the order yet: the executor can only hold it as "outcome unknown" when it is killed.
    await stack.faults(
        {"streams_down": True, "drop_user_streams": True, "order_invisible_s": 120, "after_accept_drop": True}
    )
    cmd = command(stack, order_type=OrderType.MARKET, quantity=Decimal("0.002"))
    await stack.send(cmd)

    async def submitted() -> bool:
        return any(o.status == OrderStatus.SUBMITTED.value for o in await stack.orders())

    await stack.wait_for(submitted)
    stack.kill()  # the order filled at the venue; the executor never heard
    await stack.faults({"reset": True})
    stack.start_executor()
    await stack.wait_ready()
    await stack.wait_for(lambda: all_resolved(stack, 1))
    [row] = await stack.orders()
    assert row.status == OrderStatus.FILLED.value and row.filled_qty == Decimal("0.002")
    await assert_database_equals_exchange(stack, [cmd])
    assert (await stack.metrics()).total("executor_reconcile_drift_total") >= 1  # repaired after restart


async def test_bad_input_is_rejected_with_a_reason_and_the_consumer_keeps_going(stack: Stack) -> None:
    events = await stack.js.pull_subscribe(
        subjects.order_events(str(stack.user_id)), durable=f"test-{uuid.uuid4().hex[:8]}", stream="TRADING"
    )
    stack.start_executor()
    await stack.wait_ready()
    await stack.js.publish(subjects.order_commands("paper"), b'{"type": "exec.submit_order", "oops": 1}')
    bad = [
        command(stack, symbol="NOPE/USDT", limit_price=Decimal(100)),
        command(stack, quantity=Decimal("0.000001"), limit_price=await resting_price(stack)),
        command(stack, quantity=Decimal("99999999999999999999"), limit_price=Decimal(100)),  # absurd
        command(stack, order_type=OrderType.MARKET, quantity=Decimal("1"), limit_price=Decimal(1)),
    ]
    for cmd in bad:
        await stack.send(cmd)
    good = command(stack, limit_price=await resting_price(stack))
    await stack.send(good)
    await stack.wait_for(lambda: all_resolved(stack, len(bad) + 1))
    rows = {o.client_order_id: o for o in await stack.orders()}
    assert rows[good.client_order_id].status == OrderStatus.ACCEPTED.value
    for cmd in bad:
        assert rows[cmd.client_order_id].status == OrderStatus.REJECTED.value
        assert rows[cmd.client_order_id].reject_reason
    assert "unknown symbol" in (rows[bad[0].client_order_id].reject_reason or "")
    assert "LOT_SIZE" in (rows[bad[1].client_order_id].reject_reason or "")
    await assert_database_equals_exchange(stack, [good])
    received = [m.data for m in await events.fetch(50, timeout=5)]
    rejected = [d for d in received if b'"order.rejected"' in d]
    assert len(rejected) == len(bad)


async def test_a_command_for_a_user_the_database_does_not_know_is_dead_lettered_at_once(stack: Stack) -> None:
    letters = await stack.js.subscribe(
        subjects.dead_letters("executor"), ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
    )
    stack.start_executor()
    await stack.wait_ready()
    stranger = command(stack, limit_price=await resting_price(stack)).model_copy(
        update={"user_id": str(uuid.uuid4())}
    )
    await stack.send(stranger)
    good = command(stack, limit_price=await resting_price(stack))
    await stack.send(good)
    letter = (await letters.next_msg(timeout=15)).data  # not after five retries with backoff
    await letters.unsubscribe()
    assert stranger.client_order_id.encode() in letter
    assert b"refused by the database: ForeignKeyViolationError" in letter
    await stack.wait_for(lambda: all_resolved(stack, 1))
    assert [o.client_order_id for o in await stack.orders()] == [good.client_order_id]
