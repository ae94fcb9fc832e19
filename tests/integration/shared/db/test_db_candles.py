"""CandleRepository against real PostgreSQL: idempotent upserts, exact decimals, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import MarketCandle
from shared.db.repositories.candles import BATCH_SIZE, CandleRepository
from shared.db.tenancy import anonymous_session, claims_for, user_session
from shared.messages.market import Candle

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 3, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _symbol() -> str:
    # A symbol of this test's own: the database is shared by every test of the session.
    return f"T{uuid4().hex[:7].upper()}/USDT"


def _candle(symbol: str, i: int, close: str = "100.5", volume: str = "3.25") -> Candle:
    open_time = T0 + i * MINUTE
    price = Decimal(close)
    return Candle(
        ts_event=open_time + MINUTE,
        venue="paper",
        symbol=symbol,
        interval="1m",
        open_time=open_time,
        close_time=open_time + MINUTE,
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(volume),
    )


@pytest.fixture
def repository(sessionmaker: async_sessionmaker[AsyncSession]) -> CandleRepository:
    return CandleRepository(sessionmaker)


async def _count(sessionmaker: async_sessionmaker[AsyncSession], symbol: str) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(select(func.count()).where(MarketCandle.symbol == symbol))
    return count or 0


async def test_decimals_round_trip_exactly(repository: CandleRepository) -> None:
    symbol = _symbol()
    widest = "12345678901234567890.123456789012345678"  # NUMERIC(38, 18) at its full width
    candles = [
        Candle(
            ts_event=T0 + MINUTE,
            venue="paper",
            symbol=symbol,
            interval="1m",
            open_time=T0,
            close_time=T0 + MINUTE,
            open=Decimal("23140.48000000"),
            high=Decimal(widest),
            low=Decimal("0.000000000000000001"),
            close=Decimal("0.000001"),
            volume=Decimal("0"),
        )
    ]

    assert await repository.upsert(candles) == 1
    [got] = await repository.recent("paper", symbol, "1m", 10)

    assert (got.open, got.high, got.low, got.close, got.volume) == (
        Decimal("23140.48000000"),
        Decimal(widest),
        Decimal("0.000000000000000001"),
        Decimal("0.000001"),
        Decimal(0),
    )
    assert [format(v, "f") for v in (got.open, got.high, got.low, got.close, got.volume)] == [
        "23140.48",
        widest,
        "0.000000000000000001",
        "0.000001",
        "0",
    ]
    assert (got.open_time, got.close_time, got.closed) == (T0, T0 + MINUTE, True)
    assert got.message_id == Candle.id_for("paper", symbol, "1m", int(T0.timestamp() * 1000))


async def test_upsert_is_idempotent_and_counts_only_real_writes(
    repository: CandleRepository, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    symbol = _symbol()
    candles = [_candle(symbol, i) for i in range(5)]

    assert await repository.upsert(candles) == 5
    assert await repository.upsert(candles) == 0
    assert await _count(sessionmaker, symbol) == 5

    revised = _candle(symbol, 4, close="101.75", volume="9")
    assert await repository.upsert([*candles[:4], revised]) == 1
    latest = (await repository.recent("paper", symbol, "1m", 1))[0]
    assert (latest.close, latest.volume) == (Decimal("101.75"), Decimal(9))
    assert await _count(sessionmaker, symbol) == 5


async def test_the_last_copy_of_a_candle_in_one_batch_wins(repository: CandleRepository) -> None:
    symbol = _symbol()

    written = await repository.upsert([_candle(symbol, 0, close="1"), _candle(symbol, 0, close="2")])

    assert written == 1
    assert [c.close for c in await repository.recent("paper", symbol, "1m", 5)] == [Decimal(2)]


async def test_upsert_writes_more_than_one_batch(repository: CandleRepository) -> None:
    symbol = _symbol()
    candles = [_candle(symbol, i) for i in range(2 * BATCH_SIZE + 7)]

    assert await repository.upsert(candles) == len(candles)
    assert await repository.upsert(candles) == 0
    assert await repository.last_open_time("paper", symbol, "1m") == candles[-1].open_time


async def test_recent_returns_the_latest_oldest_first(repository: CandleRepository) -> None:
    symbol = _symbol()
    await repository.upsert([_candle(symbol, i) for i in (3, 0, 4, 1, 2)])
    await repository.upsert([_candle(symbol, 9).model_copy(update={"interval": "5m"})])

    latest_three = await repository.recent("paper", symbol, "1m", 3)
    before_the_fourth = await repository.recent("paper", symbol, "1m", 10, end=T0 + 3 * MINUTE)
    spelled_differently = await repository.recent("paper", symbol.replace("/", "").lower(), "1m", 2)

    assert [c.open_time for c in latest_three] == [T0 + i * MINUTE for i in (2, 3, 4)]
    assert [c.open_time for c in before_the_fourth] == [T0 + i * MINUTE for i in (0, 1, 2)]
    assert [c.open_time for c in spelled_differently] == [T0 + i * MINUTE for i in (3, 4)]
    assert await repository.recent("paper", symbol, "1m", 0) == []
    assert await repository.recent("live", symbol, "1m", 5) == []


async def test_recent_bars_are_the_recent_candles_as_plain_tuples(repository: CandleRepository) -> None:
    symbol = _symbol()
    await repository.upsert([_candle(symbol, i, close=f"10{i}.25") for i in (3, 0, 4, 1, 2)])

    bars = await repository.recent_bars("paper", symbol.replace("/", "").lower(), "1m", 3)
    candles = await repository.recent("paper", symbol, "1m", 3)

    assert [(b.open_time, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (c.open_time, c.open, c.high, c.low, c.close, c.volume) for c in candles
    ]
    assert [b.close for b in bars] == [Decimal("102.25"), Decimal("103.25"), Decimal("104.25")]
    assert await repository.recent_bars("paper", symbol, "1m", 0) == []


async def test_last_open_time(repository: CandleRepository) -> None:
    symbol = _symbol()
    assert await repository.last_open_time("paper", symbol, "1m") is None

    await repository.upsert([_candle(symbol, i) for i in (7, 2, 5)])

    assert await repository.last_open_time("paper", symbol, "1m") == T0 + 7 * MINUTE
    assert await repository.last_open_time("paper", symbol, "5m") is None


async def test_everyone_reads_candles_but_only_the_service_role_writes(
    repository: CandleRepository, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    symbol = _symbol()
    await repository.upsert([_candle(symbol, 0)])
    query = select(MarketCandle.symbol).where(MarketCandle.symbol == symbol)

    async with anonymous_session(sessionmaker) as session:
        assert (await session.scalars(query)).all() == [symbol]
    async with user_session(sessionmaker, claims_for(uuid4())) as session:
        assert (await session.scalars(query)).all() == [symbol]
    for writer in (anonymous_session(sessionmaker), user_session(sessionmaker, claims_for(uuid4()))):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with writer as session:
                session.add(MarketCandle(**_row(symbol, 1)))
                await session.flush()
    assert await _count(sessionmaker, symbol) == 1


def _row(symbol: str, i: int) -> dict[str, object]:
    candle = _candle(symbol, i)
    return {
        "venue": "paper",
        "symbol": symbol,
        "interval": "1m",
        "open_time": candle.open_time,
        "close_time": candle.close_time,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
    }
