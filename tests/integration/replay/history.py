"""A recorded trading history made the way the services make it: the gate's own message builders
and decision store, the executor's order repository and its event publisher, on real NATS and
PostgreSQL. What the replay then reads is what production would have left behind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.executor.events import OrderEvents
from services.executor.metrics import ExecutorMetrics
from services.risk_gate import outgoing
from services.risk_gate.model import Proposal
from shared.db.repositories import intents as intent_rows
from shared.db.repositories.orders import Change, OrderRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome, IntentSource, OrderSide, OrderStatus, OrderType, VenueName
from shared.domain.order_reports import OrderReport, TradeReport
from shared.messages import subjects
from shared.messages.intents import TradeIntentCreated
from shared.messaging.publisher import JetStreamPublisher

D = Decimal


@dataclass(frozen=True, slots=True)
class Recorded:
    intent_id: str
    client_order_id: str
    order_id: uuid.UUID | None = None


class History:
    """Builds users, intents, decisions, orders and fills in the database and on the stream."""

    def __init__(
        self,
        publisher: JetStreamPublisher,
        sessionmaker: async_sessionmaker[AsyncSession],
        pool: asyncpg.Pool,
    ) -> None:
        self.publisher = publisher
        self.sessionmaker = sessionmaker
        self.orders = OrderRepository(pool)
        self.events = OrderEvents(publisher, self.orders, ExecutorMetrics(CollectorRegistry()))
        self.pool = pool

    async def user(self) -> str:
        record = await UserRepository(self.sessionmaker).create(
            f"r{uuid.uuid4().hex[:10]}@example.com", "Replay"
        )
        return str(record.id)

    async def intent(
        self,
        user: str,
        *,
        quantity: str = "0.5",
        price: str = "30000",
        side: OrderSide = OrderSide.BUY,
        outcome: DecisionOutcome = DecisionOutcome.APPROVED,
        reason: str = "",
        check: str | None = None,
        reference: str | None = "30000",
        published: bool = True,
    ) -> tuple[TradeIntentCreated, Proposal]:
        """Publish an intent and the gate's decision on it, and store both as the gate does
        (``published=False``: only store them, as if the messages had been lost)."""
        now = datetime.now(UTC)
        intent_id = str(uuid.uuid4())
        intent = TradeIntentCreated(
            intent_id=intent_id, user_id=user, source=IntentSource.PARSER, venue=VenueName.PAPER,
            symbol="BTC/USDT", side=side, order_type=OrderType.LIMIT, quantity=D(quantity),
            limit_price=D(price), correlation_id=intent_id, ts_event=now,
        )  # fmt: skip
        if published:
            await self.publisher.publish(subjects.intents(user), intent)
        proposal = Proposal.of(intent, uuid.UUID(user), now)
        cid = outgoing.client_order_id(intent_id)
        async with service_session(self.sessionmaker) as session:
            await intent_rows.record_decision(
                session, intent_id=intent_id, user_id=proposal.user_id, correlation_id=intent_id,
                source=proposal.source, rule_id=None, venue=proposal.venue, symbol=proposal.symbol,
                side=proposal.side, order_type=proposal.order_type, quantity=proposal.quantity,
                quote_quantity=None, limit_price=proposal.limit_price, digest=proposal.digest,
                reference_price=None if reference is None else D(reference), status=outcome,
                check_name=check, reason=reason or None,
                client_order_id=cid if outcome is DecisionOutcome.APPROVED else None,
            )  # fmt: skip
        decision = outgoing.decision(
            intent_id, user, outcome, now, correlation_id=intent_id, reason=reason, check=check
        )
        if published:
            await self.publisher.publish(subjects.decisions(user), decision)
        return intent, proposal

    async def order(
        self,
        user: str,
        *,
        quantity: str = "0.5",
        price: str = "30000",
        fills: tuple[str, ...] = (),
        cancel: bool = False,
    ) -> Recorded:
        """An approved intent, its command, and the executor's order: accepted, filled by ``fills``
        (quantities, at ``price``), then canceled if ``cancel``."""
        intent, proposal = await self.intent(user, quantity=quantity, price=price)
        command = outgoing.submit_order(proposal, datetime.now(UTC))
        await self.publisher.publish(subjects.order_commands(command.venue), command)
        order, _ = await self.orders.create_submitted(
            {
                "user_id": proposal.user_id, "venue": command.venue.value, "symbol": command.symbol,
                "side": command.side.value, "order_type": command.order_type.value,
                "time_in_force": "GTC", "intent_id": command.intent_id,
                "client_order_id": command.client_order_id,
                "correlation_id": command.correlation_id, "requested_qty": command.quantity,
                "requested_quote_qty": None, "limit_price": command.limit_price,
            }
        )  # fmt: skip
        await self.events.publish(Change(order, (OrderStatus.SUBMITTED,)))
        venue_id = str(uuid.uuid4().int % 10**9)
        accepted = await self.orders.apply_report(
            order.id, OrderReport(command.client_order_id, venue_id, OrderStatus.ACCEPTED, "NEW", D(0), D(0))
        )
        await self.events.publish(accepted)
        for number, amount in enumerate(fills):
            trade = TradeReport(
                trade_id=f"{venue_id}-{number}", venue_order_id=venue_id,
                client_order_id=command.client_order_id,
                symbol=command.symbol, side=command.side, quantity=D(amount), price=D(price),
                commission=D("0.0001"), commission_asset="BTC", traded_at=datetime.now(UTC),
            )  # fmt: skip
            await self.events.publish(await self.orders.record_fills(order.id, [trade]))
        if cancel:
            await self.events.publish(await self.orders.move(order.id, OrderStatus.CANCELED))
        await self.events.close()
        return Recorded(intent.intent_id, command.client_order_id, order.id)


__all__ = ["History", "Recorded"]
