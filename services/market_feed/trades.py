"""Trades → ticks: the socket when it works, REST when it does not, holes in the ids filled.

Binance numbers each symbol's trades consecutively, so a jump in ids is a hole: the missing trades
are fetched over REST before the later ones are published, and what the venue no longer has is
counted and logged as lost, never silently skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from services.market_feed.context import PAGE, FeedContext
from services.market_feed.normalize import BadVenueData, trade_to_tick
from services.market_feed.venue import HISTORICAL_TRADES, REST_TRADES
from services.market_feed.watch import StaleWatch
from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.market import TradeTick
from shared.messaging.publisher import Outgoing, PublishFailed

_log = logging.getLogger(__name__)


class TradeStream:
    """The trades loop of every symbol, and the last trade id published for each."""

    def __init__(self, ctx: FeedContext) -> None:
        self._ctx = ctx
        self._last_trade_id: dict[str, int] = {}

    async def run(self, symbol: str) -> None:
        ctx = self._ctx
        backoff = ctx.backoff()
        watch = StaleWatch(lambda: ctx.venue.watch_trades(symbol), ctx.settings.feed_stale_after_s)
        while True:
            try:
                trades = await watch.next()
            except asyncio.CancelledError:
                watch.cancel()
                raise
            except Exception as e:
                ctx.socket_failed(symbol, "trades", e)
                await ctx.poll_for(backoff.next_delay(), symbol, "trades", self.poll)
                continue
            if trades is None:
                ctx.socket_quiet(symbol, "trades")
                before = self._last_trade_id.get(symbol, -1)
                await ctx.guarded(symbol, "trades poll", self.poll)
                if self._last_trade_id.get(symbol, -1) > before:
                    await ctx.reconnect(symbol, "trades")  # the venue traded, the socket said nothing
                    watch.cancel()
                continue
            if backoff.attempts:
                _log.info("%s trades socket is back after %d attempts", symbol, backoff.attempts)
            backoff.reset()
            ctx.metrics.mode.labels(symbol, "trades").set(1)
            await self.publish(symbol, trades)

    async def poll(self, symbol: str) -> None:
        trades = await self._ctx.venue.fetch_trades(symbol, limit=PAGE, params=dict(REST_TRADES))
        await self.publish(symbol, trades)

    async def publish(self, symbol: str, trades: list[dict[str, Any]]) -> None:
        """Publish the trades not seen yet, in id order, with any hole before them filled."""
        received = utc_now()
        last = self._last_trade_id.get(symbol, -1)
        outgoing: list[Outgoing] = []
        for trade in list(trades):
            # Validate first: a malformed trade must not move the id bookkeeping.
            tick = await self._tick_or_reject(symbol, trade, received)
            if tick is None:
                continue
            number = trade_number(trade)
            if number is not None and number <= last:
                continue  # seen already, over the socket or a previous poll
            if number is not None and last >= 0 and number > last + 1:
                for missed in await self._fill_hole(symbol, last + 1, number):
                    filled = await self._tick_or_reject(symbol, missed, received)
                    if filled is not None:
                        outgoing.append(Outgoing(subjects.trades(self._ctx.venue_name, symbol), filled))
            if number is not None:
                last = number
            outgoing.append(Outgoing(subjects.trades(self._ctx.venue_name, symbol), tick))
        self._last_trade_id[symbol] = last
        await self._send(symbol, outgoing)

    async def _send(self, symbol: str, outgoing: list[Outgoing]) -> None:
        if not outgoing:
            return
        metrics = self._ctx.metrics
        started = time.perf_counter()
        try:
            await self._ctx.publisher.publish_batch(outgoing)
        except (PublishFailed, TimeoutError) as e:
            metrics.errors.labels("publish").inc()
            _log.warning("could not publish %d ticks of %s: %s", len(outgoing), symbol, e)
            return
        metrics.publish_latency.observe(time.perf_counter() - started)
        metrics.ticks.labels(symbol).inc(len(outgoing))
        now = time.time()
        for item in outgoing:
            assert isinstance(item.message, TradeTick)
            metrics.event_lag.observe(max(0.0, now - item.message.ts_event.timestamp()))

    async def _tick_or_reject(
        self, symbol: str, trade: dict[str, Any], received: datetime
    ) -> TradeTick | None:
        try:
            return trade_to_tick(self._ctx.venue_name, trade, received)
        except BadVenueData as e:
            await self._ctx.reject("trade", subjects.trades(self._ctx.venue_name, symbol), trade, str(e))
            return None

    async def _fill_hole(self, symbol: str, first_missing: int, before: int) -> list[dict[str, Any]]:
        """Fetch trades ``first_missing ≤ id < before`` over REST: by id with an API key (ccxt sends
        ``historicalTrades`` only with one), else from the last 1,000 of ``/api/v3/trades``."""
        metrics = self._ctx.metrics
        metrics.trade_gaps.labels(symbol).inc()
        found: list[dict[str, Any]] = []
        cursor = first_missing
        by_id = self._ctx.settings.binance_api_key is not None
        try:
            while cursor < before:
                params = {**HISTORICAL_TRADES, "fromId": cursor} if by_id else dict(REST_TRADES)
                page = await self._ctx.venue.fetch_trades(symbol, limit=PAGE, params=params)
                numbered = [(n, t) for t in page if (n := trade_number(t)) is not None and n >= cursor]
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
        metrics.trades_recovered.labels(symbol).inc(len(found))
        if lost:
            metrics.trades_lost.labels(symbol).inc(lost)
            _log.error("%d %s trades before id %d are gone from the venue too", lost, symbol, before)
        return found


def trade_number(trade: dict[str, Any]) -> int | None:
    """The venue's trade id as a number, when it is one."""
    try:
        return int(trade.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
