"""Orders through the running stack: commands published to JetStream, the executor's events awaited.

A round trip starts just before the ``SubmitOrder`` is published (the publish waits for the
stream's acknowledgement, as the risk gate's does) and ends when the executor's event saying the
exchange took the order (``order.accepted``, or ``order.filled`` had it traded at once) reaches a
core-NATS subscriber here. Orders are LIMIT buys far below the market, so they rest and are
accepted; after each level they are cancelled (one ``CancelOrder`` each, through the executor), so
resting orders do not pile up across levels.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from cryptopulse.bench.latency import Latency, closed_loop
from shared.domain.enums import OrderSide, OrderType, TimeInForce, VenueName
from shared.domain.symbols import venue_symbol
from shared.messages import subjects
from shared.messages.base import derived_id, utc_now
from shared.messages.commands import CancelOrder, SubmitOrder
from shared.messaging.publisher import JetStreamPublisher, Outgoing

QUANTITY = Decimal("0.001")
BELOW_BID = Decimal("0.8")
"""Resting 20% under the bid: far from any fill, inside PERCENT_PRICE_BY_SIDE (down to 0.2 of it)."""
TICK = Decimal("0.01")
TAKEN = frozenset({"order.accepted", "order.filled"})
REFUSED = frozenset({"order.rejected", "order.expired"})
CANCELED = frozenset({"order.canceled"})
CANCEL_BATCH = 100


class OrderFailed(RuntimeError):
    """An order the benchmark sent was refused, or its event never came."""


class EventWaiter:
    """Futures by client order id, resolved with the arrival time of the first wanted event."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[asyncio.Future[float], frozenset[str]]] = {}

    def expect(self, client_order_id: str, wanted: frozenset[str]) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[client_order_id] = (future, wanted)
        return future

    async def on_event(self, message: Msg) -> None:
        arrived = time.perf_counter()
        event: dict[str, Any] = json.loads(message.data)
        entry = self._waiting.get(str(event.get("client_order_id")))
        if entry is None or entry[0].done():
            return
        future, wanted = entry
        kind = event.get("type")
        if kind in wanted:
            future.set_result(arrived)
            del self._waiting[event["client_order_id"]]
        elif kind in REFUSED:
            future.set_exception(OrderFailed(f"{event['client_order_id']}: {kind} {event.get('reason', '')}"))
            del self._waiting[event["client_order_id"]]


class OrderFlow:
    """Sends one trader's orders and cancels them, timing each order's round trip."""

    def __init__(
        self, connection: Client, user_id: uuid.UUID, limit_price: Decimal, *, timeout_s: float
    ) -> None:
        self._connection = connection
        self._publisher = JetStreamPublisher(connection.jetstream(), timeout_s=timeout_s)
        self._waiter = EventWaiter()
        self._user_id = str(user_id)
        self._price = limit_price
        self._timeout_s = timeout_s
        self._run = uuid.uuid4().hex[:8]
        self.resting: dict[str, str] = {}
        """Symbols by client order id of the orders accepted and not cancelled yet."""

    @classmethod
    async def connect(
        cls, nats_url: str, paper_url: str, user_id: uuid.UUID, symbol: str, *, timeout_s: float = 60.0
    ) -> OrderFlow:
        connection = await nats.connect(nats_url, pending_size=64 * 1024 * 1024)
        flow = cls(connection, user_id, await resting_price(paper_url, symbol), timeout_s=timeout_s)
        await connection.subscribe(subjects.order_events(flow._user_id), cb=flow._waiter.on_event)
        await connection.flush()
        return flow

    async def close(self) -> None:
        await self._connection.close()

    def submit_order(self, label: str, number: int, symbol: str) -> SubmitOrder:
        intent = f"bench-{self._run}-{label}-{number}"
        return SubmitOrder(
            message_id=derived_id("submit", intent),
            intent_id=intent,
            user_id=self._user_id,
            venue=VenueName.PAPER,
            client_order_id=intent,
            symbol=symbol,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=QUANTITY,
            limit_price=self._price,
            time_in_force=TimeInForce.GTC,
            ts_event=utc_now(),
        )

    async def round_trip(self, command: SubmitOrder) -> float:
        """Publish ``command``; return the seconds until the executor said the exchange took it."""
        taken = self._waiter.expect(command.client_order_id, TAKEN)
        started = time.perf_counter()
        await self._publisher.publish(subjects.order_commands(command.venue), command)
        try:
            arrived = await asyncio.wait_for(taken, self._timeout_s)
        except TimeoutError:
            raise OrderFailed(
                f"no accepted event for {command.client_order_id} in {self._timeout_s:.0f}s"
            ) from None
        self.resting[command.client_order_id] = command.symbol
        return arrived - started

    async def level(self, label: str, symbol: str, *, in_flight: int, count: int) -> Latency:
        """``count`` orders with ``in_flight`` outstanding at every moment."""

        async def one(number: int) -> float:
            return await self.round_trip(self.submit_order(label, number, symbol))

        return await closed_loop(one, in_flight=in_flight, count=count)

    async def cancel_resting(self) -> float:
        """Cancel every resting order through the executor; return the seconds until all were.

        One ``CancelOrder`` each, pipelined. ``CancelAllOrders`` would be the natural command, but
        the executor builds each ``CancelOrder`` of it with a UUID ``user_id`` that fails validation,
        so the command is retried and dead-lettered and nothing is cancelled.
        """
        pending = {cid: self._waiter.expect(cid, CANCELED) for cid in self.resting}
        started = time.perf_counter()
        commands = [
            Outgoing(
                subjects.order_commands(VenueName.PAPER),
                CancelOrder(
                    message_id=derived_id("cancel", cid),
                    user_id=self._user_id,
                    venue=VenueName.PAPER,
                    client_order_id=cid,
                    symbol=symbol,
                    ts_event=utc_now(),
                ),
            )
            for cid, symbol in self.resting.items()
        ]
        for first in range(0, len(commands), CANCEL_BATCH):
            await self._publisher.publish_batch(commands[first : first + CANCEL_BATCH])
        if pending:
            _, late = await asyncio.wait(pending.values(), timeout=self._timeout_s + 0.02 * len(pending))
            if late:
                raise OrderFailed(f"{len(late)} of {len(pending)} resting orders not cancelled in time")
        self.resting.clear()
        return time.perf_counter() - started


async def resting_price(paper_url: str, symbol: str) -> Decimal:
    """A limit price for a buy that rests: well under the current bid, on the tick."""
    async with httpx.AsyncClient(base_url=paper_url, timeout=10) as http:
        response = await http.get("/api/v3/ticker/bookTicker", params={"symbol": venue_symbol(symbol)})
        response.raise_for_status()
    bid = Decimal(response.json()["bidPrice"])
    return (bid * BELOW_BID).quantize(TICK)
