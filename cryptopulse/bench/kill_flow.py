"""The kill switch as the product pulls it, watched from outside the executor.

Orders go in the way the risk gate sends them (``SubmitOrder`` commands on JetStream, each
awaited as ``order.accepted``). The switch is engaged the way the risk gate's ``sys.kill``
handler and the integration tests engage it: the flag written to PostgreSQL
(``KillSwitchRepository.engage``), then ``KillSwitchEngaged`` published on ``sys.kill``. The
executor is not asked anything afterwards; what the run reports comes from three witnesses with
one clock (``time.perf_counter``) started just before the flag is written:

- the venue, polled with signed ``GET /api/v3/openOrders`` until it lists nothing of the account;
- the ``order.canceled`` events on ``exec.evt.<user>``: each is published once the order's row
  is ``CANCELED``, so the last one is when every row was;
- the ``KillSwitchReport`` on ``sys.kill.report.<user>``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy import text

from cryptopulse.bench.kill_orders import RestingOrder, spread
from cryptopulse.bench.order_flow import CANCELED, TAKEN, EventWaiter, OrderFailed
from cryptopulse.bench.paper_account import PaperAccount
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.kill_switches import KillState, KillSwitchRepository
from shared.db.tenancy import service_session
from shared.domain.enums import KillScope, OrderSide, OrderType, TimeInForce, VenueName
from shared.messages import subjects
from shared.messages.base import derived_id, utc_now
from shared.messages.commands import SubmitOrder
from shared.messages.system import KillSwitchEngaged, KillSwitchReport
from shared.messaging.publisher import JetStreamPublisher, Outgoing

PUBLISH_BATCH = 100
POLL_S = 0.25
"""How often the venue is asked while the kill runs. Each ask lists up to 1,000 orders, which
costs the venue CPU the executor's pass competes for on 2 cores (asked every 50 ms, the kill
took some 20% longer); the venue's own ``updateTime`` dates the last cancel to the millisecond
whatever the interval."""
ACTOR = "bench"


@dataclass(frozen=True, slots=True)
class KillTimes:
    """Seconds from just before the flag was written; wall times in Unix seconds."""

    flag_written_s: float
    published_s: float
    venue_empty_s: float
    last_canceled_event_s: float
    report_s: float
    engaged_wall: float
    """``time.time()`` just before the flag was written, to line up the venue's own timestamps."""
    report: KillSwitchReport


class KillFlow:
    """One trader's orders through the executor, then the trader's kill switch."""

    def __init__(
        self, connection: Client, user_id: uuid.UUID, database_url: str, *, timeout_s: float
    ) -> None:
        self._connection = connection
        self._publisher = JetStreamPublisher(connection.jetstream(), timeout_s=timeout_s)
        self._waiter = EventWaiter()
        self._reports: asyncio.Queue[tuple[float, KillSwitchReport]] = asyncio.Queue()
        self._user_id = user_id
        self._database_url = database_url
        self._timeout_s = timeout_s
        self._run = uuid.uuid4().hex[:8]
        self.accepted: list[str] = []
        """Client order ids of the orders the venue took."""

    @classmethod
    async def connect(
        cls, nats_url: str, user_id: uuid.UUID, database_url: str, *, timeout_s: float = 120.0
    ) -> KillFlow:
        connection = await nats.connect(nats_url, pending_size=64 * 1024 * 1024)
        flow = cls(connection, user_id, database_url, timeout_s=timeout_s)
        await connection.subscribe(subjects.order_events(str(user_id)), cb=flow._waiter.on_event)
        await connection.subscribe(subjects.kill_reports(str(user_id)), cb=flow._on_report)
        await connection.flush()
        return flow

    async def close(self) -> None:
        await self._connection.close()

    async def _on_report(self, message: Msg) -> None:
        self._reports.put_nowait((time.perf_counter(), KillSwitchReport.model_validate_json(message.data)))

    def _submit(self, order: RestingOrder, number: int) -> SubmitOrder:
        intent = f"kill-{self._run}-{number}"
        return SubmitOrder(
            message_id=derived_id("submit", intent), intent_id=intent, user_id=str(self._user_id),
            venue=VenueName.PAPER, client_order_id=intent, symbol=order.symbol, side=OrderSide.BUY,
            order_type=OrderType.LIMIT, quantity=order.quantity, limit_price=order.price,
            time_in_force=TimeInForce.GTC, ts_event=utc_now(),
        )  # fmt: skip

    async def place(self, orders: dict[str, RestingOrder], count: int) -> float:
        """``count`` orders spread over ``orders``' symbols, published in acknowledged batches;
        return the seconds until the executor had said every one was accepted."""
        commands = [self._submit(orders[s], n) for n, s in enumerate(spread(list(orders), count))]
        taken = {c.client_order_id: self._waiter.expect(c.client_order_id, TAKEN) for c in commands}
        started = time.perf_counter()
        outgoing = [Outgoing(subjects.order_commands(VenueName.PAPER), c) for c in commands]
        for first in range(0, len(outgoing), PUBLISH_BATCH):
            await self._publisher.publish_batch(outgoing[first : first + PUBLISH_BATCH])
        _, late = await asyncio.wait(taken.values(), timeout=self._timeout_s + 0.1 * count)
        if late:
            raise OrderFailed(f"{len(late)} of {count} orders not accepted in time")
        for future in taken.values():
            future.result()  # an order refused raises here
        self.accepted = list(taken)
        return time.perf_counter() - started

    async def kill(self, venue: PaperAccount) -> KillTimes:
        """Engage the trader's switch; wait for the venue to be empty, every order's
        ``order.canceled`` and a complete report."""
        cancelled = [self._waiter.expect(cid, CANCELED) for cid in self.accepted]
        engine = create_engine(self._database_url)
        try:
            switches = KillSwitchRepository(create_sessionmaker(engine))
            engaged_wall, started = time.time(), time.perf_counter()
            state = await switches.engage(KillScope.USER, self._user_id, ACTOR, "kill-switch benchmark")
            flag_written = time.perf_counter()
            await self._publisher.publish(subjects.KILL_SWITCH, _engaged(state))
            published = time.perf_counter()
        finally:
            await engine.dispose()
        venue_empty = await _until_empty(venue, self._timeout_s)
        _, late = await asyncio.wait(cancelled, timeout=self._timeout_s)
        if late:
            raise OrderFailed(f"{len(late)} of {len(cancelled)} orders without order.canceled in time")
        report_at, report = await self._complete_report()
        return KillTimes(
            flag_written_s=flag_written - started,
            published_s=published - started,
            venue_empty_s=venue_empty - started,
            last_canceled_event_s=max(f.result() for f in cancelled) - started,
            report_s=report_at - started,
            engaged_wall=engaged_wall,
            report=report,
        )

    async def _complete_report(self) -> tuple[float, KillSwitchReport]:
        deadline = time.monotonic() + self._timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OrderFailed("no complete kill switch report in time")
            arrived, report = await asyncio.wait_for(self._reports.get(), remaining)
            if report.complete:
                return arrived, report

    async def row_statuses(self) -> dict[str, int]:
        """How many of the trader's order rows are in each status (all ``canceled`` after a kill)."""
        engine = create_engine(self._database_url)
        try:
            async with service_session(create_sessionmaker(engine)) as session:
                rows = await session.execute(
                    text("SELECT status, count(*) FROM orders WHERE user_id = :user GROUP BY status"),
                    {"user": self._user_id},
                )
                return {str(status): int(count) for status, count in rows.all()}
        finally:
            await engine.dispose()


def _engaged(state: KillState) -> KillSwitchEngaged:
    return KillSwitchEngaged(
        scope=state.scope, user_id=str(state.user_id), actor=ACTOR, reason=state.reason, ts_event=utc_now()
    )


async def _until_empty(venue: PaperAccount, timeout_s: float) -> float:
    """Ask the venue every ``POLL_S`` until it lists no open order; when it first said so."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not await venue.open_orders():
            return time.perf_counter()
        await asyncio.sleep(POLL_S)
    raise OrderFailed(f"the venue still lists open orders after {timeout_s:.0f}s")


def last_update_s(orders: Sequence[dict[str, object]], since_wall: float) -> float:
    """Seconds from ``since_wall`` to the latest ``updateTime`` (the venue's ms) of ``orders``."""
    latest = max(int(str(o["updateTime"])) for o in orders)
    return latest / 1000 - since_wall
