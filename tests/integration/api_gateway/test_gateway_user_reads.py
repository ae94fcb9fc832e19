"""The read routes' asyncpg queries make, row for row, the JSON the response models make of the same
rows read through the ORM: same fields, same order, the same plain decimals, times and ids; and
row-level security still shows each user only their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api_gateway.read_json import json_response, page_json
from services.api_gateway.trading_schemas import IntentPublic, OrderPublic, PositionPublic
from services.api_gateway.user_reads import UserReads
from shared.db.models import MarketCandle, Order
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.user_trading import UserTradingRepository
from shared.db.repositories.users import UserRecord
from shared.db.service_pool import libpq_dsn
from shared.db.tenancy import service_session
from shared.db.tenant_pool import _begin_as, as_user, create_tenant_pool
from shared.domain.enums import DecisionOutcome, OrderStatus
from shared.messages.base import plain_decimal, to_ms
from tests.integration.api_gateway.trading_support import (
    T0,
    seed_candle,
    seed_fill,
    seed_intent,
    seed_order,
    seed_position,
)

pytestmark = [pytest.mark.postgres]

DB = async_sessionmaker[AsyncSession]
AWKWARD = ("0.000000000000000001", "30000.10", "120", "0", "12345678901234567890.123456789012345678")
"""Decimals whose text is easy to get wrong: the smallest step, a trailing zero, none, zero, the widest."""


@pytest.fixture
async def reads(trading_database_url: str) -> AsyncIterator[UserReads]:
    pool = await create_tenant_pool(trading_database_url, min_size=1, max_size=2)
    try:
        yield UserReads(pool)
    finally:
        await pool.close()


def as_sent(body: Any) -> Any:
    """What a client receives: the body through the routes' serialiser, parsed back."""
    return orjson.loads(json_response(body).body)


async def seed_awkward_order(db: DB, user_id: uuid.UUID, n: int, value: str) -> None:
    order_id = uuid.uuid4()
    async with service_session(db) as session:
        session.add(
            Order(
                id=order_id, user_id=user_id, venue="paper", symbol="ETH/USDT", side="sell",
                order_type="market", time_in_force=None, intent_id=f"int-{order_id.hex[:12]}",
                client_order_id=f"cp-{order_id.hex[:12]}", requested_qty=None,
                requested_quote_qty=Decimal(value), limit_price=None, status="partially_filled",
                reject_reason=None, venue_order_id=f"v-{n}", filled_qty=Decimal(value),
                filled_quote_qty=Decimal(value), avg_price=Decimal(value),
                created_at=T0 + timedelta(minutes=n, microseconds=123), updated_at=T0 + timedelta(minutes=n),
            )
        )  # fmt: skip


async def test_orders_are_the_order_models_json_of_the_same_rows_page_by_page(
    reads: UserReads, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange
    for n, value in enumerate(AWKWARD):
        await seed_awkward_order(db, alice.id, n, value)
    for _ in range(3):  # a tie on the time: the id decides, as in the ORM's order
        await seed_order(db, alice.id, status="filled", created_at=T0 - timedelta(hours=1))
    await seed_order(db, bob.id)
    orm = UserTradingRepository(db)

    pages = (
        (None, None, 3, 0), (None, None, 3, 3), (None, None, 3, 6), ("filled", None, 5, 0),
        (None, "ETH/USDT", 10, 0),
        ("partially_filled", "ETH/USDT", 2, 4),
    )  # fmt: skip

    for status, symbol, limit, offset in pages:
        # Act
        rows = await reads.orders(alice.id, status=status, symbol=symbol, limit=limit + 1, offset=offset)
        expected = await orm.orders(
            alice.id, status=None if status is None else OrderStatus(status), symbol=symbol,
            limit=limit + 1, offset=offset,
        )  # fmt: skip

        # Assert
        assert rows, (status, symbol, limit, offset)
        models = [OrderPublic.of(order).model_dump(mode="json") for order in expected[:limit]]
        assert as_sent(page_json(rows, limit, offset))["data"] == models, (status, symbol, limit, offset)
        assert page_json(rows, limit, offset)["next_offset"] == (
            offset + limit if len(expected) > limit else None
        )


async def test_intents_are_the_intent_models_json_of_the_same_rows(
    reads: UserReads, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange
    for n in range(3):
        await seed_intent(db, alice.id, created_at=T0 + timedelta(seconds=n))
    await seed_intent(db, alice.id, status=DecisionOutcome.DENIED, expires_in=None)
    await seed_intent(db, bob.id)
    orm = UserTradingRepository(db)

    for status in (None, DecisionOutcome.PENDING, DecisionOutcome.DENIED):
        # Act
        rows = await reads.intents(
            alice.id, status=None if status is None else status.value, limit=51, offset=0
        )

        # Assert
        expected = await orm.intents(alice.id, status=status, limit=51)
        assert [IntentPublic.of(i).model_dump(mode="json") for i in expected] == as_sent(
            page_json(rows, 50, 0)
        )["data"]
        assert rows, status


async def test_positions_are_the_position_models_json_and_pnl_reads_what_the_orm_reads(
    reads: UserReads, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange: a market of its own for the stored price, so no other test's candles mix in
    market = f"Q{uuid.uuid4().hex[:6].upper()}/USDT"
    order = await seed_order(db, alice.id, fills=(("0.5", "30000.10", "0.0005", "BTC"),))
    await seed_fill(
        db, alice.id, order.id, side="sell", quantity="0.1", price="31000", commission="3.1", asset="USDT",
        at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    await seed_position(db, alice.id, market, "0.399500000000000000", "11990.04")
    await seed_position(db, alice.id, "ETH/USDT", AWKWARD[0], AWKWARD[-1])
    await seed_position(db, bob.id, "BTC/USDT", "9", "9")
    await seed_candle(db, market, T0, "32000.50")
    orm = UserTradingRepository(db)

    # Act
    positions = await reads.positions(alice.id)
    inputs = await reads.pnl_inputs(alice.id)

    # Assert
    expected = await orm.positions(alice.id)
    assert as_sent([dict(p) for p in positions]) == [
        PositionPublic.of(p).model_dump(mode="json") for p in expected
    ]
    assert [(p.venue, p.symbol, p.quantity, p.quote_spent) for p in inputs.positions] == [
        (p.venue, p.symbol, p.quantity, p.quote_spent) for p in expected
    ]
    fills = await orm.all_fills(alice.id)
    assert [(f.side, f.quantity, f.price, f.commission, f.commission_asset) for f in inputs.fills] == [
        (f.side, f.quantity, f.price, f.commission, f.commission_asset) for f in fills
    ]
    prices = await orm.latest_prices(alice.id, [(p.venue, p.symbol) for p in expected])
    assert {m: (mark.price, mark.at) for m, mark in inputs.marks.items()} == {
        m: (latest.price, latest.at) for m, latest in prices.items()
    }
    assert inputs.marks[("paper", market)].price == Decimal("32000.50")


async def test_candles_are_the_candle_models_json_with_plain_decimals_and_epoch_ms_oldest_first(
    reads: UserReads, db: DB
) -> None:
    # Arrange: a symbol of its own, so no other test's candles mix in; prices must be positive
    symbol = f"Q{uuid.uuid4().hex[:6].upper()}/USDT"
    prices = [Decimal(value) or Decimal("7.50") for value in AWKWARD]
    async with service_session(db) as session:
        for n, (price, volume) in enumerate(zip(prices, AWKWARD, strict=True)):
            at = T0 + timedelta(minutes=n)
            session.add(
                MarketCandle(
                    venue="paper", symbol=symbol, interval="1m", open_time=at,
                    close_time=at + timedelta(minutes=1), open=price, high=price, low=price, close=price,
                    volume=Decimal(volume),
                )
            )  # fmt: skip

    # Act
    candles = orjson.loads(await reads.candles_json("paper", symbol, "1m", 4))
    nothing = orjson.loads(await reads.candles_json("paper", "NONE/USDT", "1m", 4))

    # Assert
    bars = await CandleRepository(db).recent_bars("paper", symbol, "1m", 4)
    assert candles == [
        {
            "open_time": to_ms(bar.open_time), "open": plain_decimal(bar.open),
            "high": plain_decimal(bar.high), "low": plain_decimal(bar.low),
            "close": plain_decimal(bar.close), "volume": plain_decimal(bar.volume), "closed": True,
        }
        for bar in bars
    ]  # fmt: skip
    assert nothing == []
    assert [c["volume"] for c in candles] == [
        "30000.1",
        "120",
        "0",
        "12345678901234567890.123456789012345678",
    ]
    assert [c["close"] for c in candles] == [
        "30000.1",
        "120",
        "7.5",
        "12345678901234567890.123456789012345678",
    ]


async def test_a_user_reads_none_of_another_users_rows_even_without_a_where_clause(
    reads: UserReads, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange
    await seed_order(db, bob.id)
    await seed_intent(db, bob.id)
    await seed_position(db, bob.id, "BTC/USDT", "1", "1")

    # Act
    orders = await reads.orders(alice.id, status=None, symbol=None, limit=10, offset=0)
    intents = await reads.intents(alice.id, status=None, limit=10, offset=0)
    positions = await reads.positions(alice.id)
    inputs = await reads.pnl_inputs(alice.id)

    # Assert
    assert (orders, intents, positions) == ([], [], [])
    assert (inputs.positions, inputs.fills, inputs.marks) == ([], [], {})


async def test_a_read_leaves_its_connection_as_it_found_it(
    trading_database_url: str, alice: UserRecord
) -> None:
    # Arrange: one connection, so the next checkout is the very one the read used
    pool = await create_tenant_pool(trading_database_url, min_size=1, max_size=1)
    one = UserReads(pool)
    try:
        # Act
        await one.positions(alice.id)
        async with pool.acquire() as connection:
            role = await connection.fetchval("SELECT current_user")
            claims = await connection.fetchval("SELECT current_setting('request.jwt.claims', true)")
    finally:
        await pool.close()

    # Assert
    assert role != "authenticated" and not claims


async def test_a_failed_read_rolls_back_and_the_connection_serves_the_next_user(
    trading_database_url: str, alice: UserRecord
) -> None:
    # Arrange
    pool = await create_tenant_pool(trading_database_url, min_size=1, max_size=1)
    try:
        # Act
        with pytest.raises(asyncpg.UndefinedTableError):
            async with as_user(pool, alice.id) as connection:
                await connection.fetch("SELECT * FROM no_such_table")
        async with as_user(pool, alice.id) as connection:
            who = await connection.fetchval("SELECT auth.uid()")
        async with pool.acquire() as connection:
            idle = await connection.fetchval("SELECT current_setting('request.jwt.claims', true)")
    finally:
        await pool.close()

    # Assert
    assert who == alice.id and not idle


async def test_claims_reach_the_database_exactly_whatever_quotes_they_hold(trading_database_url: str) -> None:
    claims = """{"role":"anon","note":"it's \\\\ a 'quoted' \\" text"}"""
    connection = await asyncpg.connect(libpq_dsn(trading_database_url))
    try:
        await connection.execute("SET standard_conforming_strings = on")
        await connection.execute(_begin_as("anon", claims))
        stored = await connection.fetchval("SELECT current_setting('request.jwt.claims')")
        await connection.execute("ROLLBACK")
    finally:
        await connection.close()
    assert stored == claims
