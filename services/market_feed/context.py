"""What the feed's loops share: the venue, the bus, the metrics, and how they survive failures."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.market_feed.metrics import FeedMetrics
from services.market_feed.venue import MarketVenue
from shared.config.settings import MarketFeedSettings
from shared.domain.enums import VenueName
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher
from shared.runtime.backoff import Backoff

_log = logging.getLogger("services.market_feed")

PAGE = 1000
"""Rows per REST page: Binance's maximum for klines and trades."""


@dataclass(frozen=True)
class FeedContext:
    settings: MarketFeedSettings
    venue: MarketVenue
    publisher: JetStreamPublisher
    dead_letters: DeadLetterBox
    metrics: FeedMetrics

    @property
    def venue_name(self) -> VenueName:
        return VenueName(self.settings.venue)

    def backoff(self) -> Backoff:
        return Backoff(max_s=self.settings.feed_reconnect_max_s)

    async def retry_forever(self, what: str, action: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``action`` until it succeeds, backing off; for start-up steps nothing can skip."""
        backoff = self.backoff()
        while True:
            try:
                return await action()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                delay = backoff.next_delay()
                self.metrics.errors.labels("venue").inc()
                _log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(e).__name__, e, delay)
                await asyncio.sleep(delay)

    async def guarded(self, symbol: str, what: str, action: Callable[[str], Awaitable[None]]) -> None:
        """Run one venue step; a failure is counted and logged, and the loop goes on."""
        try:
            await action(symbol)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.metrics.errors.labels("venue").inc()
            _log.warning("%s %s failed: %s: %s", symbol, what, type(e).__name__, e)

    async def poll_for(
        self, seconds: float, symbol: str, stream: str, poll: Callable[[str], Awaitable[None]]
    ) -> None:
        """Poll REST every ``feed_poll_interval_s`` for ``seconds`` (while a socket is down)."""
        deadline = time.monotonic() + seconds
        while True:
            self.metrics.polls.labels(symbol, stream).inc()
            await self.guarded(symbol, f"{stream} poll", poll)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(self.settings.feed_poll_interval_s, remaining))

    def socket_failed(self, symbol: str, stream: str, error: Exception) -> None:
        self.metrics.reconnects.labels(symbol, stream).inc()
        self.metrics.mode.labels(symbol, stream).set(0)
        _log.warning(
            "%s %s socket failed (%s: %s); polling REST until it reconnects",
            symbol, stream, type(error).__name__, error,
        )  # fmt: skip

    def socket_quiet(self, symbol: str, stream: str) -> None:
        self.metrics.mode.labels(symbol, stream).set(0)
        self.metrics.stale.labels(symbol, stream).inc()
        _log.info(
            "%s %s socket quiet for %.0fs; polling REST meanwhile",
            symbol, stream, self.settings.feed_stale_after_s,
        )  # fmt: skip

    async def reconnect(self, symbol: str, stream: str) -> None:
        """Close the venue's sockets: one is silent while the venue is not (its reader died)."""
        self.metrics.reconnects.labels(symbol, stream).inc()
        _log.warning("%s %s socket is silent while the venue is not; reconnecting", symbol, stream)
        try:
            await self.venue.close_ws_clients()
        except Exception as e:
            _log.warning("closing the venue's sockets failed: %s", e)

    async def reject(self, kind: str, subject: str, data: Any, reason: str) -> None:
        """Count, log and dead-letter a venue structure that cannot become a message."""
        self.metrics.bad_data.labels(kind).inc()
        _log.warning("bad %s from the venue on %s: %s", kind, subject, reason)
        try:
            await self.dead_letters.put(subject, json.dumps(data, default=str).encode(), reason)
        except Exception as e:
            _log.error("could not dead-letter a message for %s: %s", subject, e)
