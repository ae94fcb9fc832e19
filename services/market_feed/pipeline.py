"""The feed: for every symbol, a trades loop and a candles loop, after a start-up backfill.

Data goes venue sockets (REST polling while they are down) → messages → JetStream (and candles →
PostgreSQL). ``trades.py`` and ``candles.py`` hold the two loops; ``context.py`` what they share.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from services.market_feed.candles import CandleStore, CandleStream
from services.market_feed.context import FeedContext
from services.market_feed.trades import TradeStream
from shared.domain.intervals import Interval, parse_interval
from shared.domain.symbols import normalize_symbol

_log = logging.getLogger(__name__)


class FeedPipeline:
    """Runs the feed's loops for every configured symbol until ``stop()``."""

    def __init__(self, ctx: FeedContext, store: CandleStore) -> None:
        self._ctx = ctx
        self._symbols = tuple(normalize_symbol(s) for s in ctx.settings.feed_symbols)
        intervals = tuple(parse_interval(i) for i in ctx.settings.feed_intervals)
        longer = tuple(i for i in intervals if i is not Interval.M1)
        self._trades = TradeStream(ctx)
        self._candles = CandleStream(ctx, store, self._symbols, longer)
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="feed"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._ctx.venue.close()

    async def _run(self) -> None:
        ctx = self._ctx
        markets = await ctx.retry_forever("load markets", ctx.venue.load_markets)
        symbols = [s for s in self._symbols if s in markets]
        for unknown in sorted(set(self._symbols) - set(symbols)):
            ctx.metrics.errors.labels("unknown_symbol").inc()
            _log.error("symbol %s is not listed on the %s venue; skipping it", unknown, ctx.venue_name)
        for symbol in symbols:
            await ctx.retry_forever(f"backfill {symbol}", functools.partial(self._candles.backfill, symbol))
        self._tasks.append(asyncio.create_task(self._candles.retry_loop(), name="feed-retry"))
        for symbol in symbols:
            self._tasks.append(asyncio.create_task(self._trades.run(symbol), name=f"trades-{symbol}"))
            self._tasks.append(asyncio.create_task(self._candles.run(symbol), name=f"candles-{symbol}"))
        self.ready.set()
        _log.info("feed streaming %s from %s", ", ".join(symbols), ctx.venue_name)
