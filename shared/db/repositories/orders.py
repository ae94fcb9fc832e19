"""Orders, fills, positions, balances and checkpoints: the executor's writes, one transaction each.

Everything runs as ``service_role`` (users only read these tables). Each change of an order
locks its row (``FOR UPDATE``), so the submit path, the user stream and reconciliation can report
the same order concurrently and still apply each report once, in some order: a report that the
lifecycle cannot take any more (a stale "open" after "filled") is skipped, never stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Position
from shared.db.tenancy import service_session
from shared.domain.enums import OrderSide, OrderStatus
from shared.domain.order_fsm import OPEN, can_move
from shared.domain.order_reports import OrderReport, TradeReport
from shared.domain.symbols import split_symbol

_log = logging.getLogger(__name__)
S = OrderStatus
UNSETTLED_VENUE_STATUSES = ("PENDING_NEW", "NEW", "PARTIALLY_FILLED", "PENDING_CANCEL")
"""Binance statuses of a live order: on a finished row they mean the venue's final word is missing."""


@dataclass(frozen=True, slots=True)
class Change:
    """What one write did: the order afterwards, statuses it newly reached, fills newly stored."""

    order: Order
    reached: tuple[OrderStatus, ...] = ()
    new_fills: tuple[Fill, ...] = ()
    stale: bool = False


@dataclass(slots=True)
class _Pending:
    reached: list[OrderStatus] = field(default_factory=list)
    stale: bool = False


def _move(order: Order, target: OrderStatus, pending: _Pending) -> None:
    current = OrderStatus(order.status)
    if target == current:
        return
    if not can_move(current, target):
        pending.stale = True
        _log.info(
            "skipped a stale report",
            extra={"client_order_id": order.client_order_id, "from": current, "to": target},
        )
        return
    order.status = target.value
    order.updated_at = datetime.now(UTC)
    pending.reached.append(target)


class OrderRepository:
    """The executor's persistence; every method is one committed transaction."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def create(self, values: dict[str, Any]) -> tuple[Order, bool]:
        """Insert an order unless its ``(venue, client_order_id)`` exists; return it and whether it is new."""
        async with service_session(self._sessionmaker) as session:
            inserted = await session.scalar(
                insert(Order).values(**values).on_conflict_do_nothing().returning(Order.id)
            )
            order = await session.scalar(
                select(Order).where(
                    Order.venue == values["venue"], Order.client_order_id == values["client_order_id"]
                )
            )
        if order is None:  # the conflict was on the intent, under another client order id
            raise LookupError(f"intent {values['intent_id']} already has an order on {values['venue']}")
        return order, inserted is not None

    async def get(self, venue: str, client_order_id: str) -> Order | None:
        async with service_session(self._sessionmaker) as session:
            return await session.scalar(
                select(Order).where(Order.venue == venue, Order.client_order_id == client_order_id)
            )

    async def by_id(self, order_id: uuid.UUID) -> Order:
        async with service_session(self._sessionmaker) as session:
            order = await session.get(Order, order_id)
        if order is None:
            raise LookupError(f"no order {order_id}")
        return order

    async def by_venue_order_id(self, user_id: uuid.UUID, venue: str, venue_order_id: str) -> Order | None:
        async with service_session(self._sessionmaker) as session:
            return await session.scalar(
                select(Order).where(
                    Order.user_id == user_id, Order.venue == venue, Order.venue_order_id == venue_order_id
                )
            )

    async def move(
        self, order_id: uuid.UUID, target: OrderStatus, *, reason: str | None = None, sent: bool = False
    ) -> Change:
        """Move an order to ``target`` if the lifecycle allows; ``sent`` stamps ``submitted_at``."""
        async with service_session(self._sessionmaker) as session:
            order = await self._lock(session, order_id)
            pending = _Pending()
            _move(order, target, pending)
            if reason is not None and pending.reached:
                order.reject_reason = reason[:1000]
            if sent:
                order.submitted_at = datetime.now(UTC)
                order.not_found_count = 0
        return Change(order, tuple(pending.reached), stale=pending.stale)

    async def apply_report(self, order_id: uuid.UUID, report: OrderReport) -> Change:
        """Apply the venue's view of an order; cumulative quantities never go down."""
        async with service_session(self._sessionmaker) as session:
            order = await self._lock(session, order_id)
            pending = _Pending()
            order.venue_order_id = report.venue_order_id or order.venue_order_id
            order.not_found_count = 0
            stale = report.status != OrderStatus(order.status) and not can_move(
                OrderStatus(order.status), report.status
            )
            if not stale:
                order.venue_status = report.venue_status  # a late "NEW" never hides "FILLED"
            if report.filled > order.filled_qty:
                order.filled_qty = report.filled
                order.filled_quote_qty = max(report.filled_quote, order.filled_quote_qty)
                order.avg_price = order.filled_quote_qty / order.filled_qty
            if report.updated_at is not None:
                order.venue_updated_at = report.updated_at
            target = report.status
            if target == S.ACCEPTED and order.filled_qty > 0:
                target = S.PARTIALLY_FILLED  # "open" with something filled
            if target == S.ACCEPTED and OrderStatus(order.status) == S.INITIALIZED:
                _move(order, S.SUBMITTED, pending)
            _move(order, target, pending)
        return Change(order, tuple(pending.reached), stale=pending.stale)

    async def record_fills(self, order_id: uuid.UUID, trades: Sequence[TradeReport]) -> Change:
        """Store each trade once (unique trade id), move the position and the order's filled quantity."""
        async with service_session(self._sessionmaker) as session:
            order = await self._lock(session, order_id)
            pending = _Pending()
            stored: list[Fill] = []
            for trade in trades:
                fill = await session.scalar(
                    insert(Fill)
                    .values(
                        user_id=order.user_id,
                        order_id=order.id,
                        venue=order.venue,
                        symbol=order.symbol,
                        trade_id=trade.trade_id,
                        side=trade.side.value,
                        quantity=trade.quantity,
                        price=trade.price,
                        commission=trade.commission,
                        commission_asset=trade.commission_asset,
                        traded_at=trade.traded_at,
                    )
                    .on_conflict_do_nothing()
                    .returning(Fill)
                )
                if fill is not None:
                    stored.append(fill)
                    await self._move_position(session, order, trade)
            if stored and order.venue_order_id is None:
                order.venue_order_id = trades[0].venue_order_id  # the stream's trade beat the answer
            if stored:
                filled, quote = (
                    await session.execute(
                        select(func.sum(Fill.quantity), func.sum(Fill.quantity * Fill.price)).where(
                            Fill.order_id == order.id
                        )
                    )
                ).one()
                if filled > order.filled_qty:
                    order.filled_qty, order.filled_quote_qty = filled, quote
                    order.avg_price = quote / filled
                complete = order.requested_qty is not None and order.filled_qty >= order.requested_qty
                if OrderStatus(order.status) == S.INITIALIZED:
                    _move(order, S.SUBMITTED, pending)
                if complete:
                    _move(order, S.FILLED, pending)
                elif OrderStatus(order.status) in (S.SUBMITTED, S.ACCEPTED, S.PENDING_CANCEL):
                    _move(order, S.PARTIALLY_FILLED, pending)
        return Change(order, tuple(pending.reached), tuple(stored), stale=pending.stale)

    async def count_not_found(self, order_id: uuid.UUID) -> int:
        async with service_session(self._sessionmaker) as session:
            count = await session.scalar(
                update(Order)
                .where(Order.id == order_id)
                .values(not_found_count=Order.not_found_count + 1)
                .returning(Order.not_found_count)
            )
        return int(count or 0)

    async def open_orders(self, venue: str, *, unconfirmed: bool = False) -> list[Order]:
        """Orders the venue may still change, oldest first; with ``unconfirmed``, also the ones
        our fills completed before the venue's own report said so (``venue_status`` unset)."""
        condition: ColumnElement[bool] = Order.status.in_([s.value for s in OPEN])
        if unconfirmed:
            finished = [S.FILLED.value, S.CANCELED.value, S.EXPIRED.value]
            unsettled = Order.venue_status.is_(None) | Order.venue_status.in_(UNSETTLED_VENUE_STATUSES)
            condition = condition | (Order.status.in_(finished) & unsettled)
        async with service_session(self._sessionmaker) as session:
            rows = await session.scalars(
                select(Order).where(Order.venue == venue, condition).order_by(Order.created_at)
            )
            return list(rows)

    async def unresolved_counts(self, venue: str, lost_after: int) -> tuple[int, int]:
        """(orders sent with no answer yet, other open orders the venue missed ``lost_after`` times)."""
        open_statuses = [s.value for s in OPEN]
        async with service_session(self._sessionmaker) as session:
            row = (
                await session.execute(
                    select(
                        func.count().filter(Order.status == S.SUBMITTED.value),
                        func.count().filter(
                            Order.status != S.SUBMITTED.value, Order.not_found_count >= lost_after
                        ),
                    ).where(Order.venue == venue, Order.status.in_(open_statuses))
                )
            ).one()
        return int(row[0]), int(row[1])

    async def recent_markets(self, venue: str, since: datetime) -> list[tuple[uuid.UUID, str]]:
        """(user, symbol) pairs with orders created since ``since``: where fills may still arrive."""
        async with service_session(self._sessionmaker) as session:
            rows = await session.execute(
                select(Order.user_id, Order.symbol)
                .where(Order.venue == venue, Order.created_at >= since, Order.venue_order_id.is_not(None))
                .distinct()
            )
            return [(row.user_id, row.symbol) for row in rows]

    async def unpublished(self, venue: str) -> tuple[list[Order], list[Fill]]:
        """Orders whose last status event and fills whose event have not reached JetStream."""
        async with service_session(self._sessionmaker) as session:
            orders = await session.scalars(
                select(Order).where(
                    Order.venue == venue, Order.published_status.is_distinct_from(Order.status)
                )
            )
            fills = await session.scalars(
                select(Fill).where(Fill.venue == venue, Fill.published.is_(False)).order_by(Fill.traded_at)
            )
            return list(orders), list(fills)

    async def mark_published(self, order_id: uuid.UUID, status: OrderStatus) -> None:
        async with service_session(self._sessionmaker) as session:
            await session.execute(
                update(Order).where(Order.id == order_id).values(published_status=status.value)
            )

    async def mark_fills_published(self, fill_ids: Sequence[uuid.UUID]) -> None:
        if fill_ids:
            async with service_session(self._sessionmaker) as session:
                await session.execute(update(Fill).where(Fill.id.in_(fill_ids)).values(published=True))

    async def fills_of(self, order_id: uuid.UUID) -> list[Fill]:
        async with service_session(self._sessionmaker) as session:
            return list(await session.scalars(select(Fill).where(Fill.order_id == order_id)))

    @staticmethod
    async def _lock(session: AsyncSession, order_id: uuid.UUID) -> Order:
        order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order is None:
            raise LookupError(f"no order {order_id}")
        return order

    @staticmethod
    async def _move_position(session: AsyncSession, order: Order, trade: TradeReport) -> None:
        base, quote = split_symbol(order.symbol)
        sign = Decimal(1) if trade.side == OrderSide.BUY else Decimal(-1)
        quantity = sign * trade.quantity
        spent = sign * trade.quantity * trade.price
        if trade.commission_asset == base:
            quantity -= trade.commission
        elif trade.commission_asset == quote:
            spent += trade.commission
        statement = insert(Position).values(
            user_id=order.user_id,
            venue=order.venue,
            symbol=order.symbol,
            quantity=quantity,
            quote_spent=spent,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "venue", "symbol"],
            set_={
                "quantity": Position.quantity + statement.excluded.quantity,
                "quote_spent": Position.quote_spent + statement.excluded.quote_spent,
                "updated_at": func.now(),
            },
        )
        await session.execute(statement)


__all__ = ["Change", "OrderRepository"]
