"""Backtest over the candles stored in PostgreSQL: what the agent's backtest tool calls.

Thin on purpose: it pages the candles in through ``CandleRepository.recent`` (newest page
first, each page ending where the previous began), keeps those opened in ``[start, end)``, and
hands them to ``engine.run_backtest``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.agent.backtest.engine import Settings, run_backtest
from services.agent.backtest.result import BacktestResult
from services.agent.backtest.rule import BacktestRule
from services.agent.indicators.candles import candle_arrays
from shared.domain.intervals import Interval
from shared.messages.market import Candle

PAGE_SIZE = 10_000
MAX_CANDLES = 2_000_000
"""About four years of minutes: more would hold gigabytes of Decimal candles in memory."""


class CandleSource(Protocol):
    """The part of ``shared.db.repositories.candles.CandleRepository`` the backtest reads."""

    async def recent(
        self, venue: str, symbol: str, interval: str, limit: int, end: datetime | None = None
    ) -> list[Candle]: ...


async def load_candles(
    source: CandleSource, venue: str, symbol: str, interval: Interval, start: datetime, end: datetime
) -> list[Candle]:
    """The stored candles opened in ``[start, end)``, oldest first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("expected aware start and end datetimes")
    if start >= end:
        raise ValueError(f"expected start before end, was {start} .. {end}")
    pages: list[list[Candle]] = []
    loaded, cursor = 0, end
    while True:
        page = await source.recent(venue, symbol, str(interval), PAGE_SIZE, cursor)
        if not page:
            break
        pages.append(page)
        loaded += len(page)
        if page[0].open_time <= start or len(page) < PAGE_SIZE:
            break
        if loaded > MAX_CANDLES:
            raise ValueError(f"expected at most {MAX_CANDLES:,} candles: shorten the period")
        cursor = page[0].open_time
    return [c for page in reversed(pages) for c in page if c.open_time >= start]


async def backtest_stored(
    source: CandleSource,
    rule: BacktestRule,
    venue: str,
    symbol: str,
    interval: Interval,
    start: datetime,
    end: datetime,
    settings: Settings | None = None,
) -> BacktestResult:
    """Load ``symbol``'s ``interval`` candles opened in ``[start, end)`` and backtest ``rule`` on them."""
    candles = await load_candles(source, venue, symbol, interval, start, end)
    if not candles:
        raise ValueError(f"no stored {venue} {symbol} {interval} candles between {start} and {end}")
    return run_backtest(candle_arrays(candles), rule, symbol, interval, settings)


__all__ = ["MAX_CANDLES", "PAGE_SIZE", "CandleSource", "backtest_stored", "load_candles"]
