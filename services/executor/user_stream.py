"""Fills and order updates from each account's user stream (ccxt.pro ``watch_my_trades`` and
``watch_orders`` over the WebSocket API), applied the moment they arrive.

The stream is a fast path, not the source of truth: events can be duplicated (the same trade id
twice is stored once), arrive out of order (a stale status is skipped by the lifecycle), or be
lost while the socket is down. A report of an order whose submit path is still applying the
venue's answer waits for it (``OrderTracker.sending``) rather than racing it for the row: the
answer and the stream's ``NEW`` arrive together, and the loser would wait out the winner's lock
on the order's critical path. While a stream is failing it counts as *stale*, and the
reconciler then polls REST every ``poll_interval_s`` until it speaks again or has gone
``RECOVERED_AFTER_S`` without failing (a healthy stream of a quiet account says nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from services.executor.tracker import OrderTracker
from services.executor.venues.binance import BinanceVenue
from shared.domain.order_reports import OrderReport, TradeReport

_log = logging.getLogger(__name__)
RECONNECT_MAX_S = 10.0
RECOVERED_AFTER_S = 2 * RECONNECT_MAX_S
"""A watch that has not failed for this long is up: a quiet account's stream brings no message."""


class UserStreams:
    """Two watching tasks per account; ``stale`` is true while any of them is failing."""

    def __init__(self, tracker: OrderTracker) -> None:
        self._tracker = tracker
        self._tasks: dict[uuid.UUID, list[asyncio.Task[None]]] = {}
        self._failed_at: dict[tuple[uuid.UUID, str], float] = {}
        self.last_message_at = 0.0
        self._stopping = False
        self._deferred: dict[str, list[OrderReport]] = {}
        self._drains: set[asyncio.Task[None]] = set()

    def stale(self) -> bool:
        """Whether any watch failed recently and has not delivered a message since."""
        now = time.monotonic()
        return any(now - failed_at < RECOVERED_AFTER_S for failed_at in self._failed_at.values())

    async def watch(self, user_id: uuid.UUID, venue: BinanceVenue) -> None:
        """Start watching one account (the venue pool calls this when it opens a client)."""
        self._tasks[user_id] = [
            asyncio.create_task(self._loop(user_id, venue, kind), name=f"{kind}-{user_id}")
            for kind in ("orders", "fills")
        ]

    async def forget(self, user_id: uuid.UUID) -> None:
        """Stop watching one account (its client is being closed: a dropped or refused key)."""
        # Called from one of the account's own loops, that loop ends by itself (``_watching``).
        tasks = [task for task in self._tasks.pop(user_id, []) if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._failed_at = {watch: at for watch, at in self._failed_at.items() if watch[0] != user_id}

    async def stop(self) -> None:
        self._stopping = True  # ccxt may turn a cancellation into its own error: the loop checks this
        for user_id in list(self._tasks):
            await self.forget(user_id)
        for task in self._drains:
            task.cancel()
        await asyncio.gather(*self._drains, return_exceptions=True)

    async def _loop(self, user_id: uuid.UUID, venue: BinanceVenue, kind: str) -> None:
        delay = 0.5
        while self._watching(user_id):
            try:
                if kind == "orders":
                    for report in await venue.watch_orders():
                        await self._on_order(user_id, venue, report)
                else:
                    await self._on_fills(user_id, await venue.watch_fills())
                self._failed_at.pop((user_id, kind), None)
                self.last_message_at = time.monotonic()
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if not self._watching(user_id):
                    return  # the client was closed under us on purpose
                self._failed_at[(user_id, kind)] = time.monotonic()
                _log.warning(
                    "user stream failing; REST polling covers it", extra={"kind": kind, "error": str(e)}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)

    def _watching(self, user_id: uuid.UUID) -> bool:
        return not self._stopping and asyncio.current_task() in self._tasks.get(user_id, ())

    async def _on_order(self, user_id: uuid.UUID, venue: BinanceVenue, report: OrderReport) -> None:
        queued = self._deferred.get(report.client_order_id)
        if queued is not None:  # behind earlier reports of the same order: keep their order
            queued.append(report)
            return
        sending = self._tracker.sending(report.client_order_id)
        if sending is None:
            await self._apply(user_id, venue.name, report)
            return
        self._deferred[report.client_order_id] = [report]
        drain = asyncio.create_task(self._drain(user_id, venue.name, report.client_order_id, sending))
        self._drains.add(drain)
        drain.add_done_callback(self._drains.discard)

    async def _drain(self, user_id: uuid.UUID, venue: str, client_order_id: str, sent: asyncio.Event) -> None:
        """Apply one order's deferred reports, in arrival order, once its submit path is done."""
        try:
            await sent.wait()
            queue = self._deferred[client_order_id]
            while queue:
                try:
                    await self._apply(user_id, venue, queue.pop(0))
                except Exception as e:  # the next sweep asks the venue about the order anyway
                    _log.warning("deferred order report not applied", extra={"error": str(e)})
        finally:
            self._deferred.pop(client_order_id, None)

    async def _apply(self, user_id: uuid.UUID, venue: str, report: OrderReport) -> None:
        change = await self._tracker.orders.apply_stream_report(user_id, venue, report)
        if change is not None:  # else not ours (placed elsewhere on the account)
            await self._tracker.events.publish(change)

    async def _on_fills(self, user_id: uuid.UUID, trades: list[TradeReport]) -> None:
        orders = self._tracker.orders
        for trade in trades:
            order = await orders.by_venue_order_id(user_id, self._tracker.pool.venue, trade.venue_order_id)
            if order is None and trade.client_order_id is not None:
                order = await orders.get(self._tracker.pool.venue, trade.client_order_id)
            if order is None or order.user_id != user_id:
                continue
            await self._tracker.record_fills(order, [trade])


__all__ = ["UserStreams"]
