"""The executor's tables on real PostgreSQL: fills exactly once, stale reports skipped, RLS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Position
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.orders import OrderRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import claims_for, user_session
from shared.domain.enums import KillScope, OrderSide, OrderStatus
from shared.domain.order_reports import OrderReport, TradeReport

pytestmark = pytest.mark.asyncio
S = OrderStatus
D = Decimal


async def new_order(
    sessionmaker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool, **fields: Any
) -> Order:
    user = await UserRepository(sessionmaker).create(f"o{uuid.uuid4().hex[:8]}@example.com", "O")
    cid = f"cp-{uuid.uuid4().hex[:20]}"
    values = {
        "user_id": user.id, "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "time_in_force": "GTC", "intent_id": cid, "client_order_id": cid, "requested_qty": D("1"),
        "limit_price": D("100"), "status": S.INITIALIZED.value, **fields,
    }  # fmt: skip
    order, new = await OrderRepository(pool).create(values)
    assert new
    return order


def trade(trade_id: str, qty: str, *, commission: str = "0.001") -> TradeReport:
    return TradeReport(
        trade_id=trade_id, venue_order_id="42", client_order_id=None, symbol="BTC/USDT", side=OrderSide.BUY,
        quantity=D(qty), price=D("100.5"), commission=D(commission), commission_asset="BTC",
        traded_at=datetime.now(UTC),
    )  # fmt: skip


def report(status: OrderStatus, venue_status: str, filled: str) -> OrderReport:
    return OrderReport("x", "42", status, venue_status, D(filled), D(filled) * D("100.5"))


async def test_a_second_create_of_the_same_client_order_id_returns_the_first(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    order = await new_order(sessionmaker, service_pool)
    again, new = await OrderRepository(service_pool).create(
        {"user_id": order.user_id, "venue": "paper", "symbol": "BTC/USDT", "side": "sell",
         "order_type": "market", "intent_id": order.intent_id, "client_order_id": order.client_order_id,
         "requested_qty": D("5"), "status": S.INITIALIZED.value}
    )  # fmt: skip
    assert not new and again.id == order.id and again.side == "buy"


async def test_duplicate_and_out_of_order_fills_are_stored_once(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    order = await new_order(sessionmaker, service_pool)
    await repo.move(order.id, S.SUBMITTED, sent=True)
    second = await repo.record_fills(order.id, [trade("2", "0.6")])  # arrives before trade 1
    assert second.reached == (S.PARTIALLY_FILLED,) and len(second.new_fills) == 1
    again = await repo.record_fills(order.id, [trade("2", "0.6"), trade("2", "0.6")])  # duplicates
    assert again.new_fills == () and again.reached == ()
    first = await repo.record_fills(order.id, [trade("1", "0.4")])
    assert first.reached == (S.FILLED,) and first.order.filled_qty == D("1")
    assert first.order.avg_price == D("100.5") and first.order.venue_order_id == "42"
    stale = await repo.apply_report(order.id, report(S.ACCEPTED, "NEW", "0"))  # a late "NEW"
    assert stale.stale and stale.order.status == S.FILLED.value and stale.order.venue_status != "NEW"
    final = await repo.apply_report(order.id, report(S.FILLED, "FILLED", "1"))
    assert final.reached == () and final.order.venue_status == "FILLED"
    fills = await repo.fills_of(order.id)
    assert sorted(f.trade_id for f in fills) == ["1", "2"]
    async with sessionmaker() as session:
        await session.execute(text("SET LOCAL ROLE service_role"))
        position = await session.scalar(select(Position).where(Position.user_id == order.user_id))
    assert position is not None
    assert position.quantity == D("0.998") and position.quote_spent == D("100.5")  # fee in BTC


async def test_partial_fill_then_cancel_keeps_the_fills(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    order = await new_order(sessionmaker, service_pool)
    await repo.apply_report(order.id, report(S.ACCEPTED, "NEW", "0"))
    await repo.record_fills(order.id, [trade("7", "0.25")])
    await repo.move(order.id, S.PENDING_CANCEL)
    done = await repo.apply_report(order.id, report(S.CANCELED, "CANCELED", "0.25"))
    assert done.reached == (S.CANCELED,) and done.order.filled_qty == D("0.25")


async def test_users_read_only_their_own_orders_and_cannot_write(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    mine = await new_order(sessionmaker, service_pool)
    theirs = await new_order(sessionmaker, service_pool)
    await OrderRepository(service_pool).record_fills(theirs.id, [trade("9", "0.1")])
    async with user_session(sessionmaker, claims_for(mine.user_id)) as session:
        assert [o.id for o in await session.scalars(select(Order))] == [mine.id]
        assert list(await session.scalars(select(Fill))) == []
    with pytest.raises(ProgrammingError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(mine.user_id)) as session:
            await session.execute(text("UPDATE orders SET status = 'filled'"))


def submit_values(order_user: uuid.UUID) -> dict[str, Any]:
    cid = f"cp-{uuid.uuid4().hex[:20]}"
    return {
        "user_id": order_user, "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "time_in_force": "GTC", "intent_id": cid, "client_order_id": cid, "correlation_id": cid,
        "requested_qty": D("1"), "requested_quote_qty": None, "limit_price": D("100"),
    }  # fmt: skip


async def test_an_order_is_stored_submitted_unless_a_kill_switch_stops_its_user(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    user = await UserRepository(sessionmaker).create(f"k{uuid.uuid4().hex[:8]}@example.com", "K")
    sent, new = await repo.create_submitted(submit_values(user.id))
    assert new and sent.status == S.SUBMITTED.value and sent.submitted_at is not None
    same = {"client_order_id": sent.client_order_id, "intent_id": sent.intent_id}
    again, new = await repo.create_submitted({**submit_values(user.id), **same})
    assert not new and again.id == sent.id

    switches = KillSwitchRepository(sessionmaker)
    await switches.engage(KillScope.USER, user.id, "ops", "desk halt")
    try:
        stopped, new = await repo.create_submitted(submit_values(user.id))
    finally:
        await switches.release(KillScope.USER, user.id, "ops")
    assert new and stopped.status == S.REJECTED.value and stopped.submitted_at is None
    assert stopped.reject_reason == "kill switch engaged: desk halt"


async def test_the_submit_path_applies_the_answer_to_the_row_it_read_unless_the_row_moved(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    user = await UserRepository(sessionmaker).create(f"c{uuid.uuid4().hex[:8]}@example.com", "C")
    read, _ = await repo.create_submitted(submit_values(user.id))
    accepted = await repo.apply_report(read.id, report(S.ACCEPTED, "NEW", "0"), as_read=read)
    assert accepted.reached == (S.ACCEPTED,) and accepted.order.venue_order_id == "42"

    read, _ = await repo.create_submitted(submit_values(user.id))
    await repo.record_fills(read.id, [trade(uuid.uuid4().hex, "0.4")])  # the stream got there first
    late = await repo.apply_report(read.id, report(S.ACCEPTED, "NEW", "0"), as_read=read)
    assert late.order.status == S.PARTIALLY_FILLED.value and late.order.filled_qty == D("0.4")
    assert late.reached == ()  # the fills' change announced it; the answer adds nothing
    assert (await repo.by_id(read.id)).filled_qty == D("0.4")


async def test_stream_reports_of_another_users_order_are_ignored(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    order = await new_order(sessionmaker, service_pool)
    news = OrderReport(order.client_order_id, "42", S.ACCEPTED, "NEW", D(0), D(0))
    assert await repo.apply_stream_report(uuid.uuid4(), "paper", news) is None
    change = await repo.apply_stream_report(order.user_id, "paper", news)
    assert change is not None and change.reached == (S.SUBMITTED, S.ACCEPTED)


async def test_a_kill_switch_moves_many_orders_in_one_statement_and_leaves_finished_ones(
    sessionmaker: async_sessionmaker[AsyncSession], service_pool: asyncpg.Pool
) -> None:
    repo = OrderRepository(service_pool)
    resting = [await new_order(sessionmaker, service_pool) for _ in range(3)]
    for order in resting:
        await repo.apply_report(order.id, report(S.ACCEPTED, "NEW", "0"))
    done = await new_order(sessionmaker, service_pool)
    await repo.move(done.id, S.REJECTED, reason="filter")
    changes = await repo.move_all([*(o.id for o in resting), done.id], S.PENDING_CANCEL)
    assert sorted(c.order.id for c in changes) == sorted(o.id for o in resting)
    assert all(c.reached == (S.PENDING_CANCEL,) for c in changes)
    rows = await repo.by_ids([*(o.id for o in resting), done.id])
    assert rows[done.id].status == S.REJECTED.value
    assert {rows[o.id].status for o in resting} == {S.PENDING_CANCEL.value}

    await repo.mark_published({o.id: S.PENDING_CANCEL for o in resting})
    unpublished, _ = await repo.unpublished("paper")
    assert not {o.id for o in resting} & {o.id for o in unpublished}
