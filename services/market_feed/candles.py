"""1-minute candles from the venue's kline stream, longer ones rolled up, none missing.

Candles are backfilled over REST at start-up, after every reconnect and whenever a gap shows; a
gap stays open until the venue's closed candles cover it. Every candle is stored, then published
with a deterministic ``Nats-Msg-Id`` (a backfill that republishes is dropped as a duplicate);
what cannot be stored or published right now waits in a queue that ``retry_loop`` drains.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.market_feed.closing import ClosingTracker
from services.market_feed.context import PAGE, FeedContext
from services.market_feed.normalize import BadVenueData, ohlcv_to_candle
from services.market_feed.rollup import CandleRollup
from services.market_feed.watch import StaleWatch
from shared.domain.intervals import Interval
from shared.messages import subjects
from shared.messages.base import to_ms, utc_now
from shared.messages.market import Candle
from shared.messaging.publisher import Outgoing, PublishFailed

_log = logging.getLogger(__name__)
_MINUTE = Interval.M1
_RETRY_EVERY_S = 2.0


class CandleStore(Protocol):
    async def upsert(self, candles: Sequence[Candle]) -> int: ...


class CandleStream:
    """The candle loop of every symbol, its trackers, roll-ups, open gaps and retry queues."""

    def __init__(
        self, ctx: FeedContext, store: CandleStore, symbols: Sequence[str], longer: tuple[Interval, ...]
    ) -> None:
        self._ctx = ctx
        self._store = store
        self._longer = longer
        self._trackers = {s: ClosingTracker(_MINUTE.milliseconds) for s in symbols}
        self._rollups = {s: CandleRollup(longer) for s in symbols}
        self._gaps: dict[str, tuple[int, int]] = {}
        self._unstored: deque[Candle] = deque()
        self._unpublished: deque[Candle] = deque()

    # -- LOOP ----------------------------------------------------------------------------------

    async def run(self, symbol: str) -> None:
        ctx = self._ctx
        backoff = ctx.backoff()
        tracker = self._trackers[symbol]
        reconnected = False
        watch = StaleWatch(
            lambda: ctx.venue.watch_ohlcv(symbol, _MINUTE.value), ctx.settings.feed_stale_after_s
        )
        while True:
            try:
                rows = await watch.next()
            except asyncio.CancelledError:
                watch.cancel()
                raise
            except Exception as e:
                ctx.socket_failed(symbol, "candles", e)
                tracker.reset()
                await ctx.poll_for(backoff.next_delay(), symbol, "candles", self._catch_up)
                reconnected = True
                continue
            if rows is None:
                ctx.socket_quiet(symbol, "candles")
                before = tracker.last_closed_ms
                await ctx.guarded(symbol, "candles poll", self._catch_up)
                if tracker.last_closed_ms != before:
                    await ctx.reconnect(symbol, "candles")  # candles closed, the socket said nothing
                    watch.cancel()
                    tracker.reset()
                reconnected = True
                continue
            backoff.reset()
            ctx.metrics.mode.labels(symbol, "candles").set(1)
            if reconnected:
                reconnected = False
                await ctx.guarded(symbol, "catch up", self._catch_up)
            await self._advance(symbol, rows)

    async def _advance(self, symbol: str, rows: list[list[Any]]) -> None:
        advance = self._trackers[symbol].update(rows)
        if advance.closed:
            minutes = await self._candles(symbol, _MINUTE, list(advance.closed))
            await self._on_closed_minutes(symbol, minutes, "stream")
        if advance.gap_from_ms is not None and advance.gap_until_ms is not None:
            self._ctx.metrics.gaps.labels(symbol).inc()
            _log.warning("gap in %s candles from %d; backfilling", symbol, advance.gap_from_ms)
            known = self._gaps.get(symbol, (advance.gap_from_ms, advance.gap_until_ms))
            self._gaps[symbol] = (min(known[0], advance.gap_from_ms), max(known[1], advance.gap_until_ms))
        if symbol in self._gaps:
            await self._ctx.guarded(symbol, "gap backfill", self._fill_gap)

    # -- BACKFILL ------------------------------------------------------------------------------

    async def backfill(self, symbol: str) -> None:
        """At start-up: recent closed candles of every interval, and the minutes of the current day."""
        venue, limit = self._ctx.venue, self._ctx.settings.feed_backfill_candles + 1
        for interval in self._longer:
            rows = await venue.fetch_ohlcv(symbol, interval.value, limit=limit)
            await self._deliver(await self._candles(symbol, interval, rows[:-1]), "backfill")
        rows = await venue.fetch_ohlcv(symbol, _MINUTE.value, limit=limit)
        if len(rows) < 2:
            return
        # Seed the roll-ups from the start of the longest interval's current bucket.
        venue_now = rows[-1][0]
        seed_from = min((i.bucket_start(venue_now) for i in self._longer), default=rows[0][0])
        await self._publish_minutes_since(symbol, min(rows[0][0], seed_from))

    async def _catch_up(self, symbol: str) -> None:
        last = self._trackers[symbol].last_closed_ms
        await self._publish_minutes_since(symbol, None if last is None else last + _MINUTE.milliseconds)

    async def _fill_gap(self, symbol: str) -> None:
        start, end = self._gaps[symbol]
        closed = await self._publish_minutes_since(symbol, start)
        if closed and closed[-1][0] >= end - _MINUTE.milliseconds:
            del self._gaps[symbol]
        else:
            _log.warning("%s candles from %d are not all closed on the venue yet; will retry", symbol, start)

    async def _publish_minutes_since(self, symbol: str, since: int | None) -> list[list[Any]]:
        closed = await self._closed_rows(symbol, _MINUTE, since)
        await self._on_closed_minutes(symbol, await self._candles(symbol, _MINUTE, closed), "backfill")
        return closed

    async def _closed_rows(self, symbol: str, interval: Interval, since: int | None) -> list[list[Any]]:
        """Every closed candle from ``since``, paging; the venue's last row is the forming one."""
        venue = self._ctx.venue
        if since is None:
            return (await venue.fetch_ohlcv(symbol, interval.value, limit=PAGE))[:-1]
        collected: list[list[Any]] = []
        cursor = since
        while True:
            page = await venue.fetch_ohlcv(symbol, interval.value, since=cursor, limit=PAGE)
            page = [row for row in page if row[0] >= cursor]
            collected.extend(page)
            if len(page) < PAGE:
                break
            cursor = page[-1][0] + interval.milliseconds
        return collected[:-1]

    # -- ROLL-UP -------------------------------------------------------------------------------

    async def _on_closed_minutes(self, symbol: str, minutes: list[Candle], source: str) -> None:
        tracker, rollup = self._trackers[symbol], self._rollups[symbol]
        longer: list[Candle] = []
        for minute in sorted(minutes, key=lambda c: c.open_time):
            tracker.mark_closed(to_ms(minute.open_time))
            result = rollup.add(minute)
            longer.extend(result.complete)
            for interval, open_ms in result.incomplete_open_ms:
                venue_candle = await self._venue_candle(symbol, interval, open_ms)
                if venue_candle is not None:
                    longer.append(venue_candle)
        await self._deliver(minutes + longer, source)

    async def _venue_candle(self, symbol: str, interval: Interval, open_ms: int) -> Candle | None:
        """The venue's own candle for a bucket whose minutes we did not all see."""
        try:
            rows = await self._ctx.venue.fetch_ohlcv(symbol, interval.value, since=open_ms, limit=2)
        except Exception as e:
            self._ctx.metrics.errors.labels("venue").inc()
            _log.warning("could not fetch the %s %s candle at %d: %s", symbol, interval, open_ms, e)
            return None
        if len(rows) < 2 or rows[0][0] != open_ms:
            return None  # not closed yet on the venue, or unknown to it
        return next(iter(await self._candles(symbol, interval, rows[:1])), None)

    async def _candles(self, symbol: str, interval: Interval, rows: list[list[Any]]) -> list[Candle]:
        received: datetime = utc_now()
        candles = []
        for row in rows:
            try:
                candles.append(ohlcv_to_candle(self._ctx.venue_name, symbol, interval, row, received))
            except BadVenueData as e:
                subject = subjects.candles(self._ctx.venue_name, symbol, interval.value)
                await self._ctx.reject("candle", subject, row, str(e))
        return candles

    # -- DELIVERY ------------------------------------------------------------------------------

    async def _deliver(self, candles: list[Candle], source: str) -> None:
        """Store, then publish; whatever fails waits in a queue ``retry_loop`` drains."""
        if not candles:
            return
        metrics = self._ctx.metrics
        try:
            await self._store.upsert(candles)
        except Exception as e:
            metrics.errors.labels("database").inc()
            _log.warning("could not store %d candles (%s); will retry", len(candles), e)
            self._unstored.extend(candles)
        try:
            await self._ctx.publisher.publish_batch([Outgoing(_subject(c), c) for c in candles])
        except (PublishFailed, TimeoutError) as e:
            metrics.errors.labels("publish").inc()
            _log.warning("could not publish %d candles (%s); will retry", len(candles), e)
            self._unpublished.extend(candles)
            return
        for candle in candles:
            metrics.candles.labels(candle.symbol, candle.interval.value, source).inc()

    async def retry_loop(self) -> None:
        while True:
            await asyncio.sleep(_RETRY_EVERY_S)
            if self._unstored:
                batch = list(self._unstored)
                try:
                    await self._store.upsert(batch)
                    for _ in batch:
                        self._unstored.popleft()
                except Exception as e:
                    _log.warning("still cannot store %d candles: %s", len(batch), e)
            if self._unpublished:
                batch = list(self._unpublished)
                try:
                    await self._ctx.publisher.publish_batch([Outgoing(_subject(c), c) for c in batch])
                    for _ in batch:
                        self._unpublished.popleft()
                except (PublishFailed, TimeoutError) as e:
                    _log.warning("still cannot publish %d candles: %s", len(batch), e)


def _subject(candle: Candle) -> str:
    return subjects.candles(candle.venue, candle.symbol, candle.interval.value)
