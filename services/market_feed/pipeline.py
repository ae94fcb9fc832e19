"""The feed: venue sockets (REST polling while they are down) → messages → JetStream and PostgreSQL.

Per symbol two loops run: trades (ticks) and 1-minute candles. Candles are backfilled over REST at
start-up, after every reconnect and whenever a gap shows; longer intervals are rolled up from the
minutes. Every candle is published with a deterministic ``Nats-Msg-Id``, so a backfill that
republishes is harmless. What cannot be stored or published right now is retried, never dropped.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from services.market_feed.closing import ClosingTracker
from services.market_feed.metrics import FeedMetrics
from services.market_feed.normalize import BadVenueData, ohlcv_to_candle, trade_to_tick
from services.market_feed.rollup import CandleRollup
from services.market_feed.venue import HISTORICAL_TRADES, REST_TRADES, MarketVenue
from services.market_feed.watch import StaleWatch
from shared.config.settings import MarketFeedSettings
from shared.domain.enums import VenueName
from shared.domain.intervals import Interval, parse_interval
from shared.domain.symbols import normalize_symbol
from shared.messages import subjects
from shared.messages.base import to_ms, utc_now
from shared.messages.market import Candle, TradeTick
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher, Outgoing, PublishFailed
from shared.runtime.backoff import Backoff

_log = logging.getLogger(__name__)
_MINUTE = Interval.M1
_PAGE = 1000
_RETRY_EVERY_S = 2.0


class CandleStore(Protocol):
    async def upsert(self, candles: Sequence[Candle]) -> int: ...


class FeedPipeline:
    """Runs the feed's loops for every configured symbol until ``stop()``."""

    def __init__(
        self,
        settings: MarketFeedSettings,
        venue: MarketVenue,
        publisher: JetStreamPublisher,
        dead_letters: DeadLetterBox,
        store: CandleStore,
        metrics: FeedMetrics,
    ) -> None:
        self._settings = settings
        self._venue_name = VenueName(settings.venue)
        self._venue = venue
        self._publisher = publisher
        self._dead_letters = dead_letters
        self._store = store
        self._metrics = metrics
        self._symbols = tuple(normalize_symbol(s) for s in settings.feed_symbols)
        intervals = tuple(parse_interval(i) for i in settings.feed_intervals)
        self._longer = tuple(i for i in intervals if i is not _MINUTE)
        self._trackers = {s: ClosingTracker(_MINUTE.milliseconds) for s in self._symbols}
        self._rollups = {s: CandleRollup(self._longer) for s in self._symbols}
        self._last_trade_id: dict[str, int] = {}
        self._gaps: dict[str, tuple[int, int]] = {}
        self._unstored: deque[Candle] = deque()
        self._unpublished: deque[Candle] = deque()
        self._tasks: list[asyncio.Task[None]] = []
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()

    # -- LIFECYCLE -----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="feed"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._venue.close()

    async def _run(self) -> None:
        markets = await self._retry_forever("load markets", self._venue.load_markets)
        symbols = [s for s in self._symbols if s in markets]
        for unknown in set(self._symbols) - set(symbols):
            self._metrics.errors.labels("unknown_symbol").inc()
            _log.error("symbol %s is not listed on the %s venue; skipping it", unknown, self._venue_name)
        for symbol in symbols:
            await self._retry_forever(f"backfill {symbol}", functools.partial(self._backfill, symbol))
        self._tasks.append(asyncio.create_task(self._retry_loop(), name="feed-retry"))
        for symbol in symbols:
            self._tasks.append(asyncio.create_task(self._trades_loop(symbol), name=f"trades-{symbol}"))
            self._tasks.append(asyncio.create_task(self._candles_loop(symbol), name=f"candles-{symbol}"))
        self.ready.set()
        _log.info("feed streaming %s from %s", ", ".join(symbols), self._venue_name)

    async def _retry_forever(self, what: str, action: Callable[[], Awaitable[Any]]) -> Any:
        backoff = Backoff(max_s=self._settings.feed_reconnect_max_s)
        while True:
            try:
                return await action()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                delay = backoff.next_delay()
                self._metrics.errors.labels("venue").inc()
                _log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(e).__name__, e, delay)
                await asyncio.sleep(delay)

    # -- TRADES --------------------------------------------------------------------------------

    async def _trades_loop(self, symbol: str) -> None:
        backoff = Backoff(max_s=self._settings.feed_reconnect_max_s)
        watch = StaleWatch(lambda: self._venue.watch_trades(symbol), self._settings.feed_stale_after_s)
        while True:
            try:
                trades = await watch.next()
            except asyncio.CancelledError:
                watch.cancel()
                raise
            except Exception as e:
                self._socket_failed(symbol, "trades", e)
                await self._poll_for(backoff.next_delay(), symbol, "trades", self._poll_trades)
                continue
            if trades is None:
                self._socket_quiet(symbol, "trades")
                before = self._last_trade_id.get(symbol, -1)
                await self._guarded(symbol, "trades poll", self._poll_trades)
                if self._last_trade_id.get(symbol, -1) > before:
                    # The venue traded while the socket said nothing: the socket is broken.
                    await self._reconnect(symbol, "trades")
                    watch.cancel()
                continue
            if backoff.attempts:
                _log.info("%s trades socket is back after %d attempts", symbol, backoff.attempts)
            backoff.reset()
            self._metrics.mode.labels(symbol, "trades").set(1)
            await self._publish_trades(symbol, trades)

    async def _poll_trades(self, symbol: str) -> None:
        trades = await self._venue.fetch_trades(symbol, limit=_PAGE, params=dict(REST_TRADES))
        await self._publish_trades(symbol, trades)

    async def _tick_or_reject(self, symbol: str, trade: dict[str, Any], received: Any) -> TradeTick | None:
        try:
            return trade_to_tick(self._venue_name, trade, received)
        except BadVenueData as e:
            await self._reject(symbol, "trade", trade, str(e))
            return None

    async def _fill_gap(self, symbol: str, first_missing: int, before: int) -> list[dict[str, Any]]:
        """Fetch the trades ``first_missing ≤ id < before`` the socket skipped, by trade id over REST."""
        self._metrics.trade_gaps.labels(symbol).inc()
        found: list[dict[str, Any]] = []
        cursor = first_missing
        by_id = self._settings.binance_api_key is not None
        try:
            while cursor < before:
                params = {**HISTORICAL_TRADES, "fromId": cursor} if by_id else dict(REST_TRADES)
                page = await self._venue.fetch_trades(symbol, limit=_PAGE, params=params)
                numbered = [(n, t) for t in page if (n := _trade_number(t)) is not None and n >= cursor]
                if not numbered:
                    break
                found.extend(t for n, t in numbered if n < before)
                if not by_id:
                    break  # the most recent page is all there is
                cursor = numbered[-1][0] + 1
        except asyncio.CancelledError:
            raise
        except Exception as e:
            _log.warning("could not fetch %s trades from id %d: %s", symbol, cursor, e)
        lost = (before - first_missing) - len(found)
        self._metrics.trades_recovered.labels(symbol).inc(len(found))
        if lost:
            self._metrics.trades_lost.labels(symbol).inc(lost)
            _log.error("%d %s trades before id %d are gone from the venue too", lost, symbol, before)
        return found

    async def _publish_trades(self, symbol: str, trades: list[dict[str, Any]]) -> None:
        received = utc_now()
        last = self._last_trade_id.get(symbol, -1)
        outgoing: list[Outgoing] = []
        for trade in list(trades):
            # Validate first: a malformed trade must not move the id bookkeeping.
            tick = await self._tick_or_reject(symbol, trade, received)
            if tick is None:
                continue
            trade_number = _trade_number(trade)
            if trade_number is not None and trade_number <= last:
                continue  # seen already, over the socket or a previous poll
            if trade_number is not None and last >= 0 and trade_number > last + 1:
                for missed in await self._fill_gap(symbol, last + 1, trade_number):
                    filled = await self._tick_or_reject(symbol, missed, received)
                    if filled is not None:
                        outgoing.append(Outgoing(subjects.trades(self._venue_name, symbol), filled))
            if trade_number is not None:
                last = trade_number
            outgoing.append(Outgoing(subjects.trades(self._venue_name, symbol), tick))
        self._last_trade_id[symbol] = last
        if not outgoing:
            return
        started = time.perf_counter()
        try:
            await self._publisher.publish_batch(outgoing)
        except (PublishFailed, TimeoutError) as e:
            self._metrics.errors.labels("publish").inc()
            _log.warning("could not publish %d ticks of %s: %s", len(outgoing), symbol, e)
            return
        self._metrics.publish_latency.observe(time.perf_counter() - started)
        self._metrics.ticks.labels(symbol).inc(len(outgoing))
        now = time.time()
        for item in outgoing:
            assert isinstance(item.message, TradeTick)
            self._metrics.event_lag.observe(max(0.0, now - item.message.ts_event.timestamp()))

    # -- CANDLES -------------------------------------------------------------------------------

    async def _candles_loop(self, symbol: str) -> None:
        backoff = Backoff(max_s=self._settings.feed_reconnect_max_s)
        tracker = self._trackers[symbol]
        reconnected = False
        watch = StaleWatch(
            lambda: self._venue.watch_ohlcv(symbol, _MINUTE.value), self._settings.feed_stale_after_s
        )
        while True:
            try:
                rows = await watch.next()
            except asyncio.CancelledError:
                watch.cancel()
                raise
            except Exception as e:
                self._socket_failed(symbol, "candles", e)
                tracker.reset()
                await self._poll_for(backoff.next_delay(), symbol, "candles", self._catch_up)
                reconnected = True
                continue
            if rows is None:
                self._socket_quiet(symbol, "candles")
                before = tracker.last_closed_ms
                await self._guarded(symbol, "candles poll", self._catch_up)
                if tracker.last_closed_ms != before:
                    await self._reconnect(symbol, "candles")  # candles closed, the socket said nothing
                    watch.cancel()
                    tracker.reset()
                reconnected = True
                continue
            backoff.reset()
            self._metrics.mode.labels(symbol, "candles").set(1)
            if reconnected:
                reconnected = False
                await self._guarded(symbol, "catch up", self._catch_up)
            advance = tracker.update(rows)
            if advance.closed:
                received = utc_now()
                minutes = [self._to_candle(symbol, _MINUTE, row, received) for row in advance.closed]
                await self._on_closed_minutes(symbol, [m for m in minutes if m is not None], "stream")
            if advance.gap_from_ms is not None and advance.gap_until_ms is not None:
                self._metrics.gaps.labels(symbol).inc()
                _log.warning("gap in %s candles from %d; backfilling", symbol, advance.gap_from_ms)
                self._open_gap(symbol, advance.gap_from_ms, advance.gap_until_ms)
            if symbol in self._gaps:
                await self._guarded(symbol, "gap backfill", self._fill_candle_gap)

    def _open_gap(self, symbol: str, start_ms: int, end_ms: int) -> None:
        known = self._gaps.get(symbol)
        self._gaps[symbol] = (
            (start_ms, end_ms) if known is None else (min(known[0], start_ms), max(known[1], end_ms))
        )

    async def _fill_candle_gap(self, symbol: str) -> None:
        """Backfill ``[start, end)``; the gap stays open until the venue's closed candles cover it."""
        start, end = self._gaps[symbol]
        closed = await self._closed_rows(symbol, _MINUTE, start)
        received = utc_now()
        minutes = [self._to_candle(symbol, _MINUTE, row, received) for row in closed]
        await self._on_closed_minutes(symbol, [m for m in minutes if m is not None], "backfill")
        if closed and closed[-1][0] >= end - _MINUTE.milliseconds:
            del self._gaps[symbol]
        else:
            _log.warning("%s candles from %d are not all closed on the venue yet; will retry", symbol, start)

    async def _backfill(self, symbol: str) -> None:
        """At start-up: recent closed candles of every interval, and the minutes of the current day."""
        for interval in self._longer:
            rows = await self._venue.fetch_ohlcv(
                symbol, interval.value, limit=self._settings.feed_backfill_candles + 1
            )
            received = utc_now()
            candles = [self._to_candle(symbol, interval, row, received) for row in rows[:-1]]
            await self._deliver([c for c in candles if c is not None], "backfill")
        rows = await self._venue.fetch_ohlcv(
            symbol, _MINUTE.value, limit=self._settings.feed_backfill_candles + 1
        )
        if len(rows) < 2:
            return
        # Seed the rollups from the start of the longest interval's current bucket.
        venue_now = rows[-1][0]
        seed_from = min((i.bucket_start(venue_now) for i in self._longer), default=rows[0][0])
        since = min(rows[0][0], seed_from)
        await self._publish_minutes_since(symbol, since)

    async def _catch_up(self, symbol: str) -> None:
        tracker = self._trackers[symbol]
        last = tracker.last_closed_ms
        since = last + _MINUTE.milliseconds if last is not None else None
        await self._publish_minutes_since(symbol, since)

    async def _publish_minutes_since(self, symbol: str, since: int | None) -> None:
        closed = await self._closed_rows(symbol, _MINUTE, since)
        received = utc_now()
        minutes = [self._to_candle(symbol, _MINUTE, row, received) for row in closed]
        await self._on_closed_minutes(symbol, [m for m in minutes if m is not None], "backfill")

    async def _closed_rows(self, symbol: str, interval: Interval, since: int | None) -> list[list[Any]]:
        """Every closed candle from ``since``, paging; the venue's last row is the forming one."""
        if since is None:
            rows = await self._venue.fetch_ohlcv(symbol, interval.value, limit=_PAGE)
            return rows[:-1]
        collected: list[list[Any]] = []
        cursor = since
        while True:
            page = await self._venue.fetch_ohlcv(symbol, interval.value, since=cursor, limit=_PAGE)
            page = [row for row in page if row[0] >= cursor]
            collected.extend(page)
            if len(page) < _PAGE:
                break
            cursor = page[-1][0] + interval.milliseconds
        return collected[:-1]

    async def _on_closed_minutes(self, symbol: str, minutes: list[Candle], source: str) -> None:
        tracker = self._trackers[symbol]
        rollup = self._rollups[symbol]
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
        try:
            rows = await self._venue.fetch_ohlcv(symbol, interval.value, since=open_ms, limit=2)
        except Exception as e:
            self._metrics.errors.labels("venue").inc()
            _log.warning("could not fetch the %s %s candle at %d: %s", symbol, interval, open_ms, e)
            return None
        if len(rows) < 2 or rows[0][0] != open_ms:
            return None  # not closed yet on the venue, or unknown to it
        return self._to_candle(symbol, interval, rows[0], utc_now())

    def _to_candle(self, symbol: str, interval: Interval, row: list[Any], received: Any) -> Candle | None:
        try:
            return ohlcv_to_candle(self._venue_name, symbol, interval, row, received)
        except BadVenueData as e:
            self._metrics.bad_data.labels("candle").inc()
            _log.warning("bad %s candle from the venue: %s", symbol, e)
            subject = subjects.candles(self._venue_name, symbol, interval.value)
            task = asyncio.create_task(self._dead_letter(subject, row, str(e)))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)
            return None

    # -- DELIVERY ------------------------------------------------------------------------------

    async def _deliver(self, candles: list[Candle], source: str) -> None:
        """Store, then publish; whatever fails waits in a queue the retry loop drains."""
        if not candles:
            return
        try:
            await self._store.upsert(candles)
        except Exception as e:
            self._metrics.errors.labels("database").inc()
            _log.warning("could not store %d candles (%s); will retry", len(candles), e)
            self._unstored.extend(candles)
        try:
            await self._publisher.publish_batch([Outgoing(_candle_subject(c), c) for c in candles])
        except (PublishFailed, TimeoutError) as e:
            self._metrics.errors.labels("publish").inc()
            _log.warning("could not publish %d candles (%s); will retry", len(candles), e)
            self._unpublished.extend(candles)
            return
        for candle in candles:
            self._metrics.candles.labels(candle.symbol, candle.interval.value, source).inc()

    async def _retry_loop(self) -> None:
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
                    await self._publisher.publish_batch([Outgoing(_candle_subject(c), c) for c in batch])
                    for _ in batch:
                        self._unpublished.popleft()
                except (PublishFailed, TimeoutError) as e:
                    _log.warning("still cannot publish %d candles: %s", len(batch), e)

    # -- FAILURES ------------------------------------------------------------------------------

    def _socket_failed(self, symbol: str, stream: str, error: Exception) -> None:
        self._metrics.reconnects.labels(symbol, stream).inc()
        self._metrics.mode.labels(symbol, stream).set(0)
        _log.warning(
            "%s %s socket failed (%s: %s); polling REST until it reconnects",
            symbol,
            stream,
            type(error).__name__,
            error,
        )

    async def _reconnect(self, symbol: str, stream: str) -> None:
        self._metrics.reconnects.labels(symbol, stream).inc()
        _log.warning("%s %s socket is silent while the venue is not; reconnecting", symbol, stream)
        try:
            await self._venue.close_ws_clients()
        except Exception as e:
            _log.warning("closing the venue's sockets failed: %s", e)

    def _socket_quiet(self, symbol: str, stream: str) -> None:
        self._metrics.mode.labels(symbol, stream).set(0)
        self._metrics.stale.labels(symbol, stream).inc()
        _log.info(
            "%s %s socket quiet for %.0fs; polling REST meanwhile",
            symbol,
            stream,
            self._settings.feed_stale_after_s,
        )

    async def _poll_for(
        self, seconds: float, symbol: str, stream: str, poll: Callable[[str], Awaitable[None]]
    ) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self._metrics.polls.labels(symbol, stream).inc()
            await self._guarded(symbol, f"{stream} poll", poll)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(self._settings.feed_poll_interval_s, remaining))

    async def _guarded(self, symbol: str, what: str, action: Callable[[str], Awaitable[None]]) -> None:
        try:
            await action(symbol)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._metrics.errors.labels("venue").inc()
            _log.warning("%s %s failed: %s: %s", symbol, what, type(e).__name__, e)

    async def _reject(self, symbol: str, kind: str, data: Any, reason: str) -> None:
        self._metrics.bad_data.labels(kind).inc()
        _log.warning("bad %s %s from the venue: %s", symbol, kind, reason)
        await self._dead_letter(subjects.trades(self._venue_name, symbol), data, reason)

    async def _dead_letter(self, subject: str, data: Any, reason: str) -> None:
        try:
            await self._dead_letters.put(subject, _dump(data), reason)
        except Exception as e:
            _log.error("could not dead-letter a message for %s: %s", subject, e)


def _candle_subject(candle: Candle) -> str:
    return subjects.candles(candle.venue, candle.symbol, candle.interval.value)


def _trade_number(trade: dict[str, Any]) -> int | None:
    try:
        return int(trade.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _dump(data: Any) -> bytes:
    import json

    return json.dumps(data, default=str).encode()
