"""The risk benchmark's closed loop: intents that pass every check, published to the gate and timed
until their decision arrives, while reference ticks keep the prices fresh."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count as numbers
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from cryptopulse.bench.risk_stack import PRICES, VENUE
from services.risk_gate.references import ReferencePrices
from shared.domain.enums import DecisionOutcome, IntentSource, OrderSide, OrderType
from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import TradeTick
from shared.messaging.publisher import JetStreamPublisher

QUANTITIES: Mapping[str, Decimal] = {"BTC/USDT": Decimal("0.001"), "ETH/USDT": Decimal("0.01")}
"""About 30 and 20 USDT an order: over the 5 USDT minimum notional, far under every limit."""
SHAPES: tuple[tuple[str, OrderSide], ...] = (
    ("BTC/USDT", OrderSide.BUY),
    ("ETH/USDT", OrderSide.BUY),
    ("BTC/USDT", OrderSide.SELL),
    ("ETH/USDT", OrderSide.SELL),
)
OFF_REFERENCE = Decimal("0.01")
"""Buys 1% under the reference, sells 1% over: inside the 5% collar, resting if ever placed."""
TICK = Decimal("0.01")
TICK_EVERY_S = 0.5
DECISION_TIMEOUT_S = 60.0
APPROVED = DecisionOutcome.APPROVED.value


class IntentMaker:
    """Intent number ``n`` goes to user ``n mod users``; its ``n div users``-th for that user has a
    price of its own, so no two intents of one user share a digest."""

    def __init__(self, users: Sequence[uuid.UUID]) -> None:
        self._users = tuple(users)
        self._numbers = numbers()
        self._run = uuid.uuid4().hex[:8]

    def next(self) -> TradeIntentCreated:
        return self.make(next(self._numbers))

    def make(self, number: int) -> TradeIntentCreated:
        user = self._users[number % len(self._users)]
        nth = number // len(self._users)
        symbol, side = SHAPES[nth % len(SHAPES)]
        reference, step = PRICES[symbol], TICK * nth
        if side is OrderSide.BUY:
            price = reference * (1 - OFF_REFERENCE) - step
        else:
            price = reference * (1 + OFF_REFERENCE) + step
        return TradeIntentCreated(
            intent_id=f"rb-{self._run}-{number}",
            user_id=str(user),
            source=IntentSource.PARSER,
            venue=VENUE,
            symbol=symbol,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=QUANTITIES[symbol],
            limit_price=price.quantize(TICK),
            ts_event=utc_now(),
        )


def describe_intents() -> str:
    shapes = ", ".join(f"{side.value} {QUANTITIES[symbol]} {symbol}" for symbol, side in SHAPES)
    return f"LIMIT orders ({shapes}) {OFF_REFERENCE:%} off the reference"


@dataclass
class Decisions:
    """Futures by intent id, resolved with the time the decision arrived; outcomes counted."""

    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    refusals: list[str] = field(default_factory=list)

    def expect(self, intent_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[intent_id] = future
        return future

    async def on_decision(self, message: Msg) -> None:
        arrived = time.perf_counter()
        body: dict[str, Any] = json.loads(message.data)
        future = self.waiting.pop(str(body.get("intent_id")), None)
        if future is None or future.done():
            return
        outcome = str(body.get("outcome"))
        self.outcomes[outcome] += 1
        if outcome != APPROVED and len(self.refusals) < 5:
            self.refusals.append(f"{outcome} by {body.get('check')}: {body.get('reason')}")
        future.set_result(arrived)


class IntentFlow:
    """Publishes intents to the gate and times each until its decision arrives."""

    def __init__(self, connection: Client, maker: IntentMaker) -> None:
        self._connection = connection
        self._publisher = JetStreamPublisher(connection.jetstream(), timeout_s=DECISION_TIMEOUT_S)
        self._maker = maker
        self.decisions = Decisions()

    @classmethod
    async def connect(cls, nats_url: str, maker: IntentMaker) -> IntentFlow:
        connection = await nats.connect(nats_url, pending_size=64 * 1024 * 1024)
        flow = cls(connection, maker)
        await connection.subscribe(subjects.decisions(subjects.ANY), cb=flow.decisions.on_decision)
        await connection.flush()
        return flow

    async def round_trip(self, _: int) -> float:
        intent = self._maker.next()
        decided = self.decisions.expect(intent.intent_id)
        started = time.perf_counter()
        await self._publisher.publish(subjects.intents(intent.user_id), intent)
        try:
            arrived = await asyncio.wait_for(decided, DECISION_TIMEOUT_S)
        except TimeoutError:
            raise RuntimeError(f"no decision for {intent.intent_id} in {DECISION_TIMEOUT_S:.0f}s") from None
        return arrived - started

    async def close(self) -> None:
        await self._connection.close()


async def send_ticks(connection: Client, references: ReferencePrices) -> None:
    """Fresh reference prices on core NATS every ``TICK_EVERY_S``, as the market feed would send."""
    while True:
        for symbol, price in PRICES.items():
            tick = TradeTick(
                venue=VENUE, symbol=symbol, trade_id=uuid.uuid4().hex, price=price,
                quantity=Decimal("0.1"), ts_event=utc_now(),
            )  # fmt: skip
            references.observe(symbol, price, tick.ts_event)
            await connection.publish(subjects.trades(VENUE.value, symbol), tick.to_json())
        await asyncio.sleep(TICK_EVERY_S)
