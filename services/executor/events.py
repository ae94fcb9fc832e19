"""Order events to JetStream, once: deterministic message ids plus the orders table as an outbox.

An event's ``Nats-Msg-Id`` is derived from the order's venue, client order id and status (or
from the fill's trade id), so a republish after a crash or a redelivered command is dropped by
JetStream's de-duplication window, and consumers can de-duplicate on the id beyond it. The
database is written first; ``published_status`` and ``fills.published`` are set after the
stream acknowledged, so ``flush`` finds and republishes whatever a crash left behind. Those marks
are written off the order's path, many in one statement by a background task: a crash before
one is written merely republishes an event JetStream then drops as a duplicate.

While NATS is down (``online`` false) nothing is attempted: each publish would wait out its
acknowledgement timeout, and the kill switch and reconciliation must keep working meanwhile.
The rows stay unpublished and the first sweep after NATS is back publishes them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from services.executor.metrics import ExecutorMetrics
from shared.db.models.orders import Fill, Order
from shared.db.repositories.orders import Change, OrderRepository
from shared.domain.enums import OrderSide, OrderStatus, VenueName
from shared.messages import subjects
from shared.messages.base import Message, derived_id, utc_now
from shared.messages.commands import SubmitOrder
from shared.messages.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from shared.messaging.publisher import JetStreamPublisher

_log = logging.getLogger(__name__)
S = OrderStatus


def status_event(order: Order, status: OrderStatus) -> Message | None:
    """The event announcing ``status``; None for statuses announced by fills or not at all."""
    common = {
        "message_id": derived_id("order", order.venue, order.client_order_id, status.value),
        "correlation_id": order.correlation_id,
        "user_id": str(order.user_id),
        "venue": VenueName(order.venue),
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "ts_event": utc_now(),
    }
    if status == S.SUBMITTED:
        return OrderSubmitted(**common)
    if status == S.ACCEPTED and order.venue_order_id:
        return OrderAccepted(**common, venue_order_id=order.venue_order_id)
    if status == S.REJECTED:
        return OrderRejected(**common, reason=order.reject_reason or "rejected by the venue")
    if status == S.CANCELED:
        return OrderCanceled(**common)
    if status == S.EXPIRED:
        return OrderExpired(**common)
    return None


def fill_event(order: Order, fill: Fill, cumulative: object) -> OrderFilled:
    return OrderFilled(
        message_id=derived_id("fill", fill.venue, fill.user_id, fill.symbol, fill.trade_id),
        correlation_id=order.correlation_id,
        user_id=str(order.user_id),
        venue=VenueName(order.venue),
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        venue_order_id=order.venue_order_id or "unknown",
        trade_id=fill.trade_id,
        side=OrderSide(fill.side),
        last_quantity=fill.quantity,
        last_price=fill.price,
        cumulative_quantity=cumulative,
        commission=fill.commission,
        commission_asset=fill.commission_asset,
        ts_event=fill.traded_at,
    )


class OrderEvents:
    """Publishes what a ``Change`` did, then marks it published."""

    def __init__(
        self,
        publisher: JetStreamPublisher,
        orders: OrderRepository,
        metrics: ExecutorMetrics,
        online: Callable[[], bool] = lambda: True,
    ) -> None:
        self._publisher = publisher
        self._orders = orders
        self._metrics = metrics
        self.online = online
        self._marks: dict[uuid.UUID, OrderStatus] = {}
        self._fill_marks: list[uuid.UUID] = []
        self._marking: asyncio.Task[None] | None = None

    async def publish(self, change: Change) -> None:
        """Count the statuses ``change`` reached (stored: they happened), then publish them."""
        for reached in change.reached:
            self._metrics.status_reached(reached.value)
        if not self.online():
            return  # left unpublished: ``flush`` sends it once NATS is back
        order = change.order
        subject = subjects.order_events(str(order.user_id))
        for status in change.reached:
            event = status_event(order, status)
            if event is not None:
                await self._publisher.publish(subject, event)
        await self._publish_fills(order, change.new_fills)
        if change.reached:
            self._mark(order.id, OrderStatus(order.status))

    async def refuse(self, command: SubmitOrder, reason: str) -> None:
        """Announce the rejection of a command no order row could be made of."""
        self._metrics.status_reached(S.REJECTED.value)
        event = OrderRejected(
            message_id=derived_id("order", command.venue, command.client_order_id, S.REJECTED.value),
            correlation_id=command.correlation_id or command.intent_id,
            user_id=command.user_id,
            venue=command.venue,
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            reason=reason,
            ts_event=utc_now(),
        )
        await self._publisher.publish(subjects.order_events(command.user_id), event)

    async def flush(self, venue: str) -> None:
        """Republish the events a crash between commit and publish (or NATS being down) left behind."""
        if not self.online():
            return
        orders, fills = await self._orders.unpublished(venue)
        for order in orders:
            event = status_event(order, OrderStatus(order.status))
            if event is not None:
                await self._publisher.publish(subjects.order_events(str(order.user_id)), event)
            self._mark(order.id, OrderStatus(order.status))
        by_order: dict[object, list[Fill]] = {}
        for fill in fills:
            by_order.setdefault(fill.order_id, []).append(fill)
        for order_id, group in by_order.items():
            owner = next((o for o in orders if o.id == order_id), None)
            if owner is None:
                owner = await self._orders.by_id(group[0].order_id)
            await self._publish_fills(owner, tuple(group))

    async def _publish_fills(self, order: Order, fills: tuple[Fill, ...]) -> None:
        if not fills:
            return
        subject = subjects.order_events(str(order.user_id))
        cumulative = order.filled_qty
        for fill in fills:
            await self._publisher.publish(subject, fill_event(order, fill, cumulative))
        self._fill_marks.extend(f.id for f in fills)
        self._start_marking()

    async def close(self) -> None:
        """Write the marks still pending (on shutdown)."""
        if self._marking is not None:
            await asyncio.gather(self._marking, return_exceptions=True)

    def _mark(self, order_id: uuid.UUID, status: OrderStatus) -> None:
        self._marks[order_id] = status  # the latest wins: events go out in status order
        self._start_marking()

    def _start_marking(self) -> None:
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks(), name="order-event-marks")

    async def _write_marks(self) -> None:
        """One writer, so an older mark of an order never lands after a newer one."""
        while self._marks or self._fill_marks:
            marks, self._marks = self._marks, {}
            fills, self._fill_marks = self._fill_marks, []
            try:
                await self._orders.mark_published(marks)
                await self._orders.mark_fills_published(fills)
            except Exception as e:  # left unmarked: a sweep republishes (a duplicate JetStream drops)
                _log.warning("could not mark events published", extra={"error": str(e)})
                return


__all__ = ["OrderEvents", "fill_event", "status_event"]
