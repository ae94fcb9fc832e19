"""Reconciliation (STYLE G8): at start-up and then on a timer, the database is made to agree
with the venue.

Each sweep: (1) every order the venue may still change (``OPEN`` statuses, including the
``SUBMITTED`` ones whose outcome is unknown) is looked up by client order id and its state and
fills applied; (2) for each user and symbol with recent orders, the venue's trades since the
last checkpoint are stored (a fill that happened while the executor was down, or whose stream
event was lost); (3) events a crash left unpublished are published. It runs every
``interval_s``, or every ``poll_interval_s`` while a user stream is stale (from the moment it
goes stale, not from the end of the current interval).

Each sweep starts with the kill switch's check (``kill``): an engagement written to PostgreSQL
while NATS was down is acted on even if no message ever arrives, the start-up sweep included.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from services.executor.tracker import OrderTracker
from services.executor.venues.errors import VenueError
from shared.db.repositories.portfolio import PortfolioRepository
from shared.domain.order_reports import TradeReport

_log = logging.getLogger(__name__)
CHECKPOINT_OVERLAP = timedelta(seconds=5)
"""Trades are asked for from a little before the checkpoint: stored ones are skipped by trade id."""
FILLS_PAGE = 1000


class Reconciler:
    """Runs sweeps; ``sweep`` is also what start-up awaits before consuming commands."""

    def __init__(
        self,
        tracker: OrderTracker,
        portfolio: PortfolioRepository,
        *,
        interval_s: float,
        poll_interval_s: float,
        lookback: timedelta,
        lost_after: int,
        stale: Callable[[], bool] = lambda: False,
        kill: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._tracker = tracker
        self._portfolio = portfolio
        self._interval_s = interval_s
        self._poll_interval_s = poll_interval_s
        self._lookback = lookback
        self._lost_after = lost_after
        self._last_sweep_at = 0.0
        self._stale = stale
        self._kill = kill
        self.sweeps = 0
        self.stopping = False

    async def run(self) -> None:
        # Wakes every poll interval, so a stream going stale mid-interval is polled for at once.
        while not self.stopping:
            await asyncio.sleep(self._poll_interval_s)
            due = self._poll_interval_s if self._stale() else self._interval_s
            if time.monotonic() - self._last_sweep_at < due:
                continue
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("reconciliation sweep failed; the next one retries")

    async def sweep(self) -> None:
        metrics = self._tracker.metrics
        started = time.perf_counter()
        self._last_sweep_at = time.monotonic()
        try:
            await self._sweep()
        except BaseException:
            metrics.sweeps.labels("failed").inc()
            raise
        metrics.sweeps.labels("ok").inc()
        metrics.sweep_seconds.observe(time.perf_counter() - started)
        unknown, lost = await self._tracker.orders.unresolved_counts(
            self._tracker.pool.venue, self._lost_after
        )
        metrics.outcome_unknown.set(unknown)
        metrics.lost.set(lost)

    async def _sweep(self) -> None:
        if self._kill is not None:
            try:
                await self._kill()
            except asyncio.CancelledError:
                raise
            except Exception:  # the kill switch's own loop retries; reconciliation goes on
                _log.exception("kill switch check failed")
        tracker = self._tracker
        venue_name = tracker.pool.venue
        open_orders = await tracker.orders.open_orders(venue_name, unconfirmed=True)
        for order in open_orders:
            try:
                change = await tracker.resolve(order)
            except VenueError as e:
                _log.warning(
                    "could not resolve order",
                    extra={"client_order_id": order.client_order_id, "error": str(e)},
                )
                continue
            if change is not None and change.reached:  # a status the user stream did not bring
                tracker.metrics.drift.labels("status").inc()
        since = datetime.now(UTC) - self._lookback
        for user_id, symbol in await tracker.orders.recent_markets(venue_name, since):
            try:
                await self._fills_since_checkpoint(user_id, symbol, since)
            except VenueError as e:
                _log.warning("could not fetch fills", extra={"symbol": symbol, "error": str(e)})
        await tracker.events.flush(venue_name)
        self.sweeps += 1

    async def _fills_since_checkpoint(self, user_id: uuid.UUID, symbol: str, floor: datetime) -> None:
        tracker = self._tracker
        venue = await tracker.pool.get(user_id)
        checkpoint = await self._portfolio.checkpoint(user_id, tracker.pool.venue, symbol)
        start = max(floor, checkpoint - CHECKPOINT_OVERLAP) if checkpoint else floor
        asked_at = datetime.now(UTC)
        trades = await venue.fetch_fills(symbol, since=start)
        by_order: dict[str, list[TradeReport]] = {}
        for trade in trades:
            by_order.setdefault(trade.venue_order_id, []).append(trade)
        for venue_order_id, group in by_order.items():
            order = await tracker.orders.by_venue_order_id(user_id, tracker.pool.venue, venue_order_id)
            if order is None:
                _log.info("trade of an order not placed by us", extra={"venue_order_id": venue_order_id})
                tracker.metrics.drift.labels("unknown_order").inc()
                continue
            change = await tracker.record_fills(order, group)
            if change is not None and change.new_fills:  # fills the user stream did not bring
                tracker.metrics.drift.labels("missing_fill").inc(len(change.new_fills))
        newest = max((t.traded_at for t in trades), default=None)
        # A full page may have more after it: then only up to its newest trade is known.
        until = newest if newest is not None and len(trades) >= FILLS_PAGE else asked_at
        await self._portfolio.save_checkpoint(user_id, tracker.pool.venue, symbol, until)
        balances = await venue.fetch_balances()
        await self._portfolio.save_balances(user_id, tracker.pool.venue, balances)


__all__ = ["Reconciler"]
