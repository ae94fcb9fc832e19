"""Closed candles in ``market_candles``, read and written as ``shared.messages.market.Candle``.

Every transaction runs as ``service_role``: the table is public to read, but only that role
writes, and RLS is forced even for the owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.market import MarketCandle
from shared.db.tenancy import service_session
from shared.domain.symbols import normalize_symbol
from shared.messages.base import to_ms
from shared.messages.market import Candle

PRICE_FIELDS = ("open", "high", "low", "close", "volume")
KEY_FIELDS = ("venue", "symbol", "interval", "open_time")
MAX_FRACTION_DIGITS = 18
"""The columns' scale; a value finer than this would be rounded by PostgreSQL without a word."""

BATCH_SIZE = 1000
"""Rows per INSERT: 10 parameters each keeps a batch far below asyncpg's 32767-parameter limit."""


class Bar(NamedTuple):
    """One stored candle as a chart needs it (stored candles are closed)."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


def trim(value: Decimal) -> Decimal:
    """Drop the fractional zeros NUMERIC(38, 18) pads with, exactly.

    ``23140.480000000000000000`` becomes ``23140.48`` and ``100.000…`` becomes ``100`` (not
    ``1E+2``): equal values, but the JSON the web app receives stays readable. Done on the digit
    tuple because ``Decimal.normalize`` rounds to the context's 28 digits and NUMERIC holds 38.
    """
    sign, digits, raw_exponent = value.as_tuple()
    if not isinstance(raw_exponent, int):
        return value
    exponent: int = raw_exponent
    kept = list(digits)
    while exponent < 0 and len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if kept == [0]:
        exponent = max(exponent, 0)
    return Decimal((sign, tuple(kept), exponent))


def _check_scale(candle: Candle) -> None:
    for name in PRICE_FIELDS:
        value: Decimal = getattr(candle, name)
        exponent = trim(value).as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
            raise ValueError(
                f"expected at most {MAX_FRACTION_DIGITS} fractional digits in {name}, was {value}"
            )


def to_row(candle: Candle) -> dict[str, Any]:
    """Return the ``market_candles`` row of a closed candle; raise ``ValueError`` for an open one.

    An open candle is refused because it would read back as closed.
    """
    if not candle.closed:
        raise ValueError(
            f"expected a closed candle, was an open {candle.symbol} {candle.interval} at {candle.open_time}"
        )
    _check_scale(candle)
    row: dict[str, Any] = {
        "venue": str(candle.venue),
        "symbol": candle.symbol,
        "interval": str(candle.interval),
        "open_time": candle.open_time,
        "close_time": candle.close_time,
    }
    row.update({name: getattr(candle, name) for name in PRICE_FIELDS})
    return row


def to_candle(row: MarketCandle) -> Candle:
    """Return the message for a stored row: closed, with its deterministic ``message_id``."""
    return Candle(
        message_id=Candle.id_for(row.venue, row.symbol, row.interval, to_ms(row.open_time)),
        ts_event=row.close_time,
        venue=row.venue,
        symbol=row.symbol,
        interval=row.interval,
        open_time=row.open_time,
        close_time=row.close_time,
        open=trim(row.open),
        high=trim(row.high),
        low=trim(row.low),
        close=trim(row.close),
        volume=trim(row.volume),
        closed=True,
    )


def last_per_key(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last row of each primary key, in first-seen order.

    PostgreSQL rejects an ``ON CONFLICT DO UPDATE`` that touches one row twice, and the later
    version of a candle is the one to keep.
    """
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[k] for k in KEY_FIELDS)] = row
    return list(by_key.values())


class CandleRepository:
    """The candle aggregate's persistence, one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def upsert(self, candles: Sequence[Candle]) -> int:
        """Insert or update ``candles`` in batches; return how many rows were inserted or changed.

        A candle identical to the stored one is not rewritten, so re-sending a batch returns 0:
        the call is idempotent and its result says whether anything was new.
        """
        rows = last_per_key(to_row(c) for c in candles)
        written = 0
        async with service_session(self._sessionmaker) as session:
            for start in range(0, len(rows), BATCH_SIZE):
                written += await self._upsert_batch(session, rows[start : start + BATCH_SIZE])
        return written

    @staticmethod
    async def _upsert_batch(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
        insert_rows = insert(MarketCandle).values(rows)
        updates = {name: insert_rows.excluded[name] for name in ("close_time", *PRICE_FIELDS)}
        table = MarketCandle.__table__
        stored = tuple_(*(table.c[name] for name in updates))
        incoming = tuple_(*updates.values())
        upsert = insert_rows.on_conflict_do_update(
            index_elements=list(KEY_FIELDS), set_=updates, where=stored.is_distinct_from(incoming)
        ).returning(MarketCandle.open_time)
        # RETURNING lists exactly the rows inserted or changed; rowcount is not reliable here.
        return len((await session.execute(upsert)).all())

    async def recent(
        self, venue: str, symbol: str, interval: str, limit: int, end: datetime | None = None
    ) -> list[Candle]:
        """Return up to ``limit`` of the latest candles opened before ``end``, oldest first.

        ``end`` is exclusive, so passing the oldest ``open_time`` of one page fetches the page
        before it. ``symbol`` may be spelled any way ``normalize_symbol`` accepts.
        """
        if limit < 0:
            raise ValueError(f"expected limit >= 0, was {limit}")
        if end is not None and end.tzinfo is None:
            raise ValueError("expected an aware end datetime, was a naive one")
        if limit == 0:
            return []
        query = select(MarketCandle).where(
            MarketCandle.venue == venue,
            MarketCandle.symbol == normalize_symbol(symbol),
            MarketCandle.interval == interval,
        )
        if end is not None:
            query = query.where(MarketCandle.open_time < end)
        query = query.order_by(MarketCandle.open_time.desc()).limit(limit)
        async with service_session(self._sessionmaker) as session:
            rows = (await session.scalars(query)).all()
        return [to_candle(row) for row in reversed(rows)]

    async def recent_bars(self, venue: str, symbol: str, interval: str, limit: int) -> list[Bar]:
        """The latest ``limit`` candles as plain tuples, oldest first: what a chart draws.

        The chart route serves hundreds of candles a request; building a validated ``Candle``
        message for each (as ``recent`` does, for the services) cost most of the gateway's CPU.
        """
        if limit <= 0:
            return []
        query = (
            select(
                MarketCandle.open_time,
                MarketCandle.open,
                MarketCandle.high,
                MarketCandle.low,
                MarketCandle.close,
                MarketCandle.volume,
            )
            .where(
                MarketCandle.venue == venue,
                MarketCandle.symbol == normalize_symbol(symbol),
                MarketCandle.interval == interval,
            )
            .order_by(MarketCandle.open_time.desc())
            .limit(limit)
        )
        async with service_session(self._sessionmaker) as session:
            rows = (await session.execute(query)).all()
        return [Bar(*row) for row in reversed(rows)]

    async def last_open_time(self, venue: str, symbol: str, interval: str) -> datetime | None:
        """Return the open time of the newest stored candle, where a backfill should resume."""
        query = select(func.max(MarketCandle.open_time)).where(
            MarketCandle.venue == venue,
            MarketCandle.symbol == normalize_symbol(symbol),
            MarketCandle.interval == interval,
        )
        async with service_session(self._sessionmaker) as session:
            return await session.scalar(query)


__all__ = ["CandleRepository", "last_per_key", "to_candle", "to_row", "trim"]
