"""What one kill-switch pass did, and the report that says so, published once NATS takes it.

The ledger notes every order the pass saw open (with how much had filled then), the orders it
kept from being sent, cancels of orders not placed by us, and the latest failure per account and
symbol. The report is built from the orders' rows at the end, so a cancel or fill applied by the
user stream or by reconciliation meanwhile is counted the same as one applied by the pass.

Nothing new is stored: reports NATS cannot take yet wait in memory (``ReportOutbox``) and are
logged in full, so a crash while NATS is down loses only the message, never the cancels.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from services.executor.tracker import OrderTracker
from shared.db.models.orders import Order
from shared.db.repositories.kill_switches import KillState
from shared.domain.enums import OrderStatus
from shared.domain.order_reports import OrderReport
from shared.messages import subjects
from shared.messages.base import derived_id, utc_now
from shared.messages.system import REPORT_MAX_ORDERS, KilledOrder, KillFailure, KillSwitchReport
from shared.messaging.publisher import JetStreamPublisher, PublishFailed

_log = logging.getLogger(__name__)
S = OrderStatus
T = TypeVar("T")
Where = tuple[uuid.UUID, str | None]
"""An account, and a symbol of it (None: the account as a whole)."""


@dataclass(slots=True)
class KillLedger:
    """One pass over one engaged switch."""

    state: KillState
    started_at: datetime = field(default_factory=utc_now)
    seen: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    unsent: set[uuid.UUID] = field(default_factory=set)
    foreign: list[KilledOrder] = field(default_factory=list)
    errors: dict[Where, str] = field(default_factory=dict)
    retried: int = 0
    failures: int = 0
    """Every failure so far, retried cancels included: whether a round failed, before vs after."""

    def watch(self, order: Order) -> None:
        """Note an open order, and its filled quantity the first time it is seen."""
        self.seen.setdefault(order.id, order.filled_qty)

    def fail(self, user_id: uuid.UUID, symbol: str | None, reason: str) -> None:
        self.errors[(user_id, symbol)] = reason[:1000]
        self.failures += 1

    def cancelled_elsewhere(self, user_id: uuid.UUID, symbol: str, report: OrderReport) -> None:
        """A cancelled order with no row of ours (placed by hand on the account)."""
        self.foreign.append(KilledOrder(
            user_id=str(user_id), client_order_id=report.client_order_id, symbol=symbol,
            filled_quantity=report.filled,
        ))  # fmt: skip

    async def report(
        self, tracker: OrderTracker, *, complete: bool, released: bool = False
    ) -> KillSwitchReport:
        """The report of what the orders' rows say now."""
        cancelled: list[KilledOrder] = list(self.foreign)
        filled: list[KilledOrder] = []
        unsent: list[KilledOrder] = []
        failed: list[KillFailure] = []
        rows = await tracker.orders.by_ids(list(self.seen))
        for order_id, filled_before in self.seen.items():
            order = rows[order_id]
            status = S(order.status)
            entry = KilledOrder(
                user_id=str(order.user_id), client_order_id=order.client_order_id, symbol=order.symbol,
                filled_quantity=order.filled_qty,
            )  # fmt: skip
            if status == S.FILLED or order.filled_qty > filled_before:
                filled.append(entry)
            if status in (S.CANCELED, S.EXPIRED):
                cancelled.append(entry)
            elif status == S.REJECTED and order_id in self.unsent:
                unsent.append(entry)
            elif status not in (S.FILLED, S.REJECTED):
                failed.append(KillFailure(
                    user_id=str(order.user_id), symbol=order.symbol, client_order_id=order.client_order_id,
                    reason=self._why(order),
                ))  # fmt: skip
        if not complete:  # an account that could not even be asked: no order of it is named
            named = {f.user_id for f in failed}
            failed += [
                KillFailure(user_id=str(user), reason=reason)
                for (user, symbol), reason in self.errors.items()
                if symbol is None and str(user) not in named
            ]
        lengths = (len(cancelled), len(filled), len(unsent), len(failed))
        omitted = sum(max(0, length - REPORT_MAX_ORDERS) for length in lengths)
        state = self.state
        key = ("kill-report", tracker.pool.venue, state.scope, state.user_id, state.engaged_at)
        digest = [sorted(e.client_order_id for e in entries) for entries in (cancelled, filled, unsent)]
        return KillSwitchReport(
            message_id=derived_id(*key, complete, released, digest, sorted(f.reason for f in failed)),
            scope=state.scope,
            user_id=None if state.user_id is None else str(state.user_id),
            venue=tracker.pool.venue,
            engaged_at=state.engaged_at,
            cancelled=_first(cancelled),
            filled_meanwhile=_first(filled),
            unsent=_first(unsent),
            failed=_first(failed),
            omitted=omitted,
            retried=self.retried,
            complete=complete,
            released=released,
            started_at=self.started_at,
            finished_at=utc_now(),
            ts_event=utc_now(),
        )

    def _why(self, order: Order) -> str:
        reason = self.errors.get((order.user_id, order.symbol)) or self.errors.get((order.user_id, None))
        if reason is not None:
            return reason
        if order.status == S.SUBMITTED:
            return "sent, and not shown by the venue yet: reconciliation keeps asking"
        return "still open"


def _first(entries: list[T]) -> list[T]:
    return entries[:REPORT_MAX_ORDERS]


class ReportOutbox:
    """Publishes reports; keeps (and logs) those NATS cannot take, and retries them on ``flush``."""

    def __init__(self, publisher: JetStreamPublisher, online: Callable[[], bool]) -> None:
        self._publisher = publisher
        self._online = online
        self._waiting: list[KillSwitchReport] = []
        self._flushing = asyncio.Lock()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def put(self, report: KillSwitchReport) -> None:
        summary = {
            "scope": report.scope.value, "user_id": report.user_id, "complete": report.complete,
            "cancelled": len(report.cancelled), "filled_meanwhile": len(report.filled_meanwhile),
            "unsent": len(report.unsent), "failed": len(report.failed), "retried": report.retried,
        }  # fmt: skip
        _log.warning("kill switch report", extra=summary)
        self._waiting.append(report)
        if not await self.flush():
            _log.warning("kill switch report kept until NATS is back: %s", report.model_dump_json())

    async def flush(self) -> bool:
        """Publish what waits, oldest first; whether nothing is left waiting."""
        async with self._flushing:  # one at a time: each report is taken off once it is stored
            while self._waiting:
                if not self._online():
                    return False
                report = self._waiting[0]
                try:
                    await self._publisher.publish(subjects.kill_reports(report.user_id), report)
                except PublishFailed as e:
                    _log.warning("kill switch report not published yet: %s", e)
                    return False
                self._waiting.pop(0)
            return True


__all__ = ["KillLedger", "ReportOutbox"]
