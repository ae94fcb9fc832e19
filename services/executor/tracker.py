"""Track before you send (STYLE G7): every order is stored, then sent, then resolved, exactly once.

1. Check and quantise the command against the market's filters (``quantize.prepare``).
2. Store the order under ``(venue, client_order_id)`` as ``SUBMITTED``, committed, in the one
   statement that also asks the kill switch (``REJECTED`` with its reason if engaged); a
   redelivered command finds its row and resumes instead of placing a second order. Only then is
   it sent: a crash after the commit leaves a ``SUBMITTED`` row, which means "outcome unknown" to
   reconciliation, never "not sent".
3. Apply the venue's answer and publish the events (``order.submitted`` while the venue answers).

Rows stored ``INITIALIZED`` (stored, known unsent: by earlier versions, or when a re-send is due)
are moved to ``SUBMITTED`` by ``_send`` before they go out, after the same kill-switch question.

An unknown outcome is never re-sent blindly: ``resolve`` asks the venue by client order id, and
re-sends only with the *same* id after the order has stayed unseen for a while (``Duplicate order
sent.`` then means it exists). Filled orders with a reused id would be a second order, so the
wait (``resend_after_s``) must exceed how long the venue may hide a new order from queries.

A key the venue refuses halts the user on this venue (``VenuePool.refuse``): the order is
rejected with the reason, and so is every later one until the key is rotated. A key rotated
since its client was built gets one more try, with the same client order id (a refused request
placed nothing).

An engaged kill switch, read from PostgreSQL, rejects a new order in the statement that stores
it, before anything of it reaches the venue; ``KillGate`` asks again before every re-send: an
order stored but never sent is then rejected, an unseen one is not re-sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from services.executor.events import OrderEvents
from services.executor.metrics import ExecutorMetrics
from services.executor.quantize import OrderRefused, fits_storage, prepare
from services.executor.venues.base import OrderRequest, Submitted, Venue
from services.executor.venues.errors import (
    VenueAlreadySubmitted,
    VenueError,
    VenueFatal,
    VenueOrderNotFound,
    VenueRejected,
)
from services.executor.venues.pool import VenuePool
from shared.db.models.orders import Order
from shared.db.repositories.orders import Change, OrderRepository
from shared.domain.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from shared.domain.order_fsm import OPEN
from shared.domain.order_reports import OrderReport, TradeReport
from shared.messages.commands import CancelAllOrders, CancelOrder, SubmitOrder

_log = logging.getLogger(__name__)
S = OrderStatus


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    resend_after_s: float
    lost_order_max_not_found: int


class KillGate(Protocol):
    """Whether a kill switch stops a user's orders; the reason to record, or None."""

    async def refusal(self, user_id: uuid.UUID) -> str | None: ...


class CommandRefused(ValueError):
    """A command no order row can be made of (its user id is no UUID); it is poison."""


def user_uuid(user_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise CommandRefused(f"user_id {user_id!r} is not a UUID") from None


class OrderTracker:
    """Places, cancels and resolves orders of one venue."""

    def __init__(
        self,
        pool: VenuePool,
        orders: OrderRepository,
        events: OrderEvents,
        policy: ResendPolicy,
        metrics: ExecutorMetrics,
        kill: KillGate,
    ) -> None:
        self.pool = pool
        self.orders = orders
        self.events = events
        self.metrics = metrics
        self.kill = kill
        self._policy = policy
        self._sending: dict[str, asyncio.Event] = {}

    def sending(self, client_order_id: str) -> asyncio.Event | None:
        """Set once the submit path has applied the venue's answer to this order; None when it
        is not sending the order now."""
        return self._sending.get(client_order_id)

    # -- COMMANDS ------------------------------------------------------------------------------

    async def submit(self, command: SubmitOrder) -> None:
        received = time.perf_counter()

        try:
            user_id = user_uuid(command.user_id)
        except CommandRefused as e:
            await self.events.refuse(command, str(e))
            raise
        request: OrderRequest | None = None
        reason: str | None = None
        try:
            venue = await self.pool.get(user_id)
            request = prepare(command, await venue.market(command.symbol))
        except (OrderRefused, VenueRejected, VenueFatal) as e:
            reason = str(e)
        row = self._row(command, request, reason)
        if request is None:
            order, new = await self.orders.create({**row, "status": S.REJECTED.value})
        else:  # stored as sent in the statement that asks the kill switch, then sent
            order, new = await self.orders.create_submitted(row)
        if not new:  # a redelivered command: finish what its first delivery started
            await self.resume(order)
            return
        stored = Change(order, (OrderStatus(order.status),))
        if request is None or stored.reached != (S.SUBMITTED,):
            await self.events.publish(stored)  # rejected: by a filter or a kill switch
            return
        await self._transmit(order, venue, request, stored, received)

    async def cancel(self, command: CancelOrder) -> None:
        order = await self.orders.get(self.pool.venue, command.client_order_id)
        if order is None or str(order.user_id) != command.user_id:
            _log.warning("cancel of an unknown order", extra={"client_order_id": command.client_order_id})
            return
        status = OrderStatus(order.status)
        if status not in OPEN:
            return
        if status == S.INITIALIZED:  # stored, never marked sent: it cannot have left, so end it here
            change = await self.orders.move(order.id, S.CANCELED, reason="canceled before it was sent")
            await self.events.publish(change)
            return
        venue = await self.pool.get(order.user_id)
        await self.events.publish(await self.orders.move(order.id, S.PENDING_CANCEL))
        try:
            report = await venue.cancel(order.symbol, order.client_order_id)
        except VenueOrderNotFound:
            await self.resolve(order)  # filled meanwhile, or not visible yet
            return
        except VenueFatal:
            await self.pool.refuse(order.user_id, venue)
            raise
        await self.apply(order, report, venue)

    async def cancel_all(self, command: CancelAllOrders) -> None:
        for order in await self.orders.open_orders(self.pool.venue):
            if str(order.user_id) == command.user_id:
                await self.cancel(
                    CancelOrder(
                        user_id=str(order.user_id),
                        venue=command.venue,
                        client_order_id=order.client_order_id,
                        symbol=order.symbol,
                        ts_event=command.ts_event,
                    )
                )

    # -- RESOLUTION ----------------------------------------------------------------------------

    async def resume(self, order: Order) -> None:
        """A command seen again: finish what its first delivery started, place nothing twice."""
        status = OrderStatus(order.status)
        if status in (S.INITIALIZED, S.SUBMITTED):
            await self.resolve(order)
        else:
            await self.events.flush(self.pool.venue)

    async def resolve(self, order: Order) -> Change | None:
        """Ask the venue about one order by client order id and apply the answer; the change the
        venue's report made (None when the venue did not find the order)."""
        venue = await self.pool.get(order.user_id)
        try:
            report = await venue.fetch_order(order.symbol, order.client_order_id)
        except VenueOrderNotFound:
            await self._not_found(order, venue)
            return None
        return await self.apply(order, report, venue)

    async def apply(self, order: Order, report: OrderReport, venue: Venue) -> Change:
        """Apply an order report; fetch the order's fills when it has filled anything."""
        change = await self.orders.apply_report(order.id, report)
        await self.events.publish(change)
        if report.filled > 0 and report.venue_order_id:
            fills = await venue.fetch_fills(order.symbol, venue_order_id=report.venue_order_id)
            await self.record_fills(change.order, fills)
        return change

    async def record_fills(
        self, order: Order, fills: list[TradeReport] | tuple[TradeReport, ...]
    ) -> Change | None:
        """Store fills; when they complete the order, ask the venue for its final word too. The
        change storing them made (None for no fills).

        Venue columns (``venue_status``, cumulative quantities) come only from the venue's order
        reports, so an order our fills declare complete is queried once more.
        """
        if not fills:
            return None
        change = await self.orders.record_fills(order.id, fills)
        await self.events.publish(change)
        if (
            S.FILLED in change.reached
            and change.order.venue_status != "FILLED"
            and change.order.venue_order_id
        ):
            await self.resolve(change.order)
        return change

    async def _not_found(self, order: Order, venue: Venue) -> None:
        status = OrderStatus(order.status)
        if status == S.INITIALIZED:  # stored, never marked sent: it cannot have left
            await self._send(order, venue, self._request_of(order))
            return
        misses = await self.orders.count_not_found(order.id)
        if status == S.SUBMITTED:  # outcome unknown: re-sent with the same id once long unseen
            age = (datetime.now(UTC) - (order.submitted_at or order.created_at)).total_seconds()
            if misses >= self._policy.lost_order_max_not_found and age >= self._policy.resend_after_s:
                _log.warning(
                    "re-sending an unseen order with the same id",
                    extra={"client_order_id": order.client_order_id},
                )
                self.metrics.drift.labels("resent").inc()
                await self._send(order, venue, self._request_of(order))
        elif misses == self._policy.lost_order_max_not_found:  # once; the lost gauge keeps counting it
            _log.error(
                "open order lost: the venue no longer finds it",
                extra={"client_order_id": order.client_order_id, "status": status.value, "misses": misses},
            )

    async def _send(self, order: Order, venue: Venue, request: OrderRequest) -> None:
        """(Re-)send a stored order: asks the kill switch, marks it ``SUBMITTED``, sends it."""
        refusal = await self.kill.refusal(order.user_id)
        if refusal is not None:
            await self.withhold(order, refusal)
            return
        change = await self.orders.move(order.id, S.SUBMITTED, sent=True)
        if OrderStatus(change.order.status) != S.SUBMITTED:  # ended meanwhile (a kill switch): never sent
            await self.events.publish(change)
            return
        await self._transmit(change.order, venue, request, change)

    async def _transmit(
        self, order: Order, venue: Venue, request: OrderRequest, stored: Change, received: float | None = None
    ) -> None:
        """Send an order already committed as ``SUBMITTED`` and apply the answer; meanwhile
        ``sending`` holds the user stream's reports of it back (they would race the answer).
        ``received``: when its command arrived (``perf_counter``), None for a re-send."""
        done = self._sending.setdefault(order.client_order_id, asyncio.Event())
        try:
            await self._transmit_once(order, venue, request, stored, received)
        finally:
            del self._sending[order.client_order_id]
            done.set()

    async def _transmit_once(
        self, order: Order, venue: Venue, request: OrderRequest, stored: Change, received: float | None
    ) -> None:
        """Its ``order.submitted`` event is published while the venue answers, and awaited before
        anything the answer causes is published, so events still go out in lifecycle order."""
        announcing = asyncio.create_task(self.events.publish(stored))
        sends = self.metrics.sends
        try:
            submitted = await self._submit(order, venue, request)
        except VenueAlreadySubmitted:
            await announcing
            sends.labels("duplicate").inc()
            await self.resolve(order)  # it exists: adopt its state
            return
        except (VenueRejected, VenueFatal) as e:
            await announcing
            sends.labels("rejected" if isinstance(e, VenueRejected) else "key_refused").inc()
            await self.events.publish(await self.orders.move(order.id, S.REJECTED, reason=str(e)))
            return
        except VenueError as e:  # outcome unknown or refused for now: reconciliation resolves it
            await announcing
            sends.labels("unknown").inc()
            _log.warning(
                "order outcome unknown", extra={"client_order_id": order.client_order_id, "error": str(e)}
            )
            return
        except BaseException:
            await asyncio.gather(announcing, return_exceptions=True)
            raise
        if received is not None:
            self.metrics.round_trip.observe(time.perf_counter() - received)
        await announcing
        sends.labels("accepted").inc()
        change = await self.orders.apply_report(order.id, submitted.report, as_read=order)
        await self.events.publish(change)
        await self.record_fills(change.order, submitted.fills)

    async def withhold(self, order: Order, reason: str) -> bool:
        """Keep an order from (re-)sending: one never sent is rejected with ``reason``; one whose
        outcome is unknown stays as it is for reconciliation. Whether it was rejected."""
        # Read afresh: the row may have been sent since ``order`` was loaded.
        if (await self.orders.by_id(order.id)).status == S.INITIALIZED:
            change = await self.orders.move(order.id, S.REJECTED, reason=reason)
            if change.reached:
                await self.events.publish(change)
                return True
        _log.warning("send withheld", extra={"client_order_id": order.client_order_id, "reason": reason})
        return False

    async def _submit(self, order: Order, venue: Venue, request: OrderRequest) -> Submitted:
        started = time.perf_counter()
        try:
            return await venue.submit(request)
        except VenueFatal as refused:
            self.metrics.key_refusals.inc()
            await self.pool.refuse(order.user_id, venue)
            try:
                fresh = await self.pool.get(order.user_id)
            except VenueFatal:  # the key is unchanged: the venue's own words are the reason
                raise refused from None
            return await fresh.submit(request)
        finally:
            self.metrics.send_latency.observe(time.perf_counter() - started)

    def _row(
        self, command: SubmitOrder, request: OrderRequest | None, reason: str | None
    ) -> dict[str, object]:
        numbers = (command.quantity, command.quote_quantity, command.limit_price)
        quantity, quote, price = (
            (request.quantity, request.quote_quantity, request.price) if request is not None else numbers
        )
        if not all(fits_storage(n) for n in (quantity, quote, price)):
            quantity = quote = price = None  # kept in the reason instead
        return {
            "user_id": user_uuid(command.user_id),
            "venue": self.pool.venue,
            "symbol": command.symbol,
            "side": command.side.value,
            "order_type": command.order_type.value,
            "time_in_force": _tif(request.time_in_force if request else command.time_in_force),
            "intent_id": command.intent_id,
            "client_order_id": command.client_order_id,
            "correlation_id": command.correlation_id or command.intent_id,
            "requested_qty": quantity if quantity is not None or quote is not None else Decimal(0),
            "requested_quote_qty": quote,
            "limit_price": price,
            "status": S.INITIALIZED.value,
            "reject_reason": reason,
        }

    @staticmethod
    def _request_of(order: Order) -> OrderRequest:
        return OrderRequest(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=OrderSide(order.side),
            order_type=OrderType(order.order_type),
            quantity=order.requested_qty,
            quote_quantity=order.requested_quote_qty,
            price=order.limit_price,
            time_in_force=TimeInForce(order.time_in_force) if order.time_in_force else None,
        )


def _tif(value: TimeInForce | None) -> str | None:
    return value.value if value is not None else None


__all__ = ["CommandRefused", "KillGate", "OrderTracker", "ResendPolicy", "user_uuid"]
