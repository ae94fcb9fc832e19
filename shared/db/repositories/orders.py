"""Orders, fills and positions: the executor's writes, one transaction each, on the order hot path.

Everything runs as ``service_role`` (users only read these tables) on a plain asyncpg pool
(``shared.db.service_pool``): an order is written two to four times between its command and its
``order.accepted`` event, and the ORM's per-statement cost was most of the executor's CPU. Rows
come back as detached ``Order``/``Fill`` instances, the same types the rest of the code reads.

Each change of an order locks its row (``FOR UPDATE``), so the submit path, the user stream and
reconciliation can report the same order concurrently and still apply each report once, in some
order: a report that the lifecycle cannot take any more (a stale "open" after "filled") is
skipped, never stored. Only the columns a change touched are written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from shared.db.models.orders import Fill, Order
from shared.db.repositories.kill_switches import STOPPED_BY
from shared.domain.enums import KillScope, OrderSide, OrderStatus
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


_ORDER_COLUMNS: tuple[str, ...] = tuple(c.name for c in Order.__table__.columns)
_COMPARED = tuple(name for name in _ORDER_COLUMNS if name != "id")
_OPEN = [s.value for s in OPEN]
_FINISHED = [S.FILLED.value, S.CANCELED.value, S.EXPIRED.value]

_SUBMIT_UNLESS_STOPPED = """
WITH stop AS (
    SELECT $16 || coalesce(reason, '') AS reason FROM kill_switches
    WHERE engaged AND (scope = $17 OR user_id = $1)
    ORDER BY scope = $17 DESC
    LIMIT 1
)
INSERT INTO orders (
    user_id, venue, symbol, side, order_type, time_in_force, intent_id, client_order_id,
    correlation_id, requested_qty, requested_quote_qty, limit_price, status, reject_reason, submitted_at
)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
       CASE WHEN stop.reason IS NULL THEN $13 ELSE $14 END,
       coalesce(stop.reason, $15),
       CASE WHEN stop.reason IS NULL THEN now() END
FROM (VALUES (1)) AS one LEFT JOIN stop ON true
ON CONFLICT DO NOTHING
RETURNING *"""
_FIELDS = (
    "user_id", "venue", "symbol", "side", "order_type", "time_in_force", "intent_id", "client_order_id",
    "correlation_id", "requested_qty", "requested_quote_qty", "limit_price",
)  # fmt: skip
_NEW_ONLY = "ON CONFLICT DO NOTHING RETURNING *"
_BY_CLIENT_ID = "SELECT * FROM orders WHERE venue = $1 AND client_order_id = $2"
_LOCK = "SELECT * FROM orders WHERE id = $1 FOR UPDATE"
_INSERT_FILL = """
INSERT INTO fills (user_id, order_id, venue, symbol, trade_id, side, quantity, price, commission,
                   commission_asset, traded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT DO NOTHING
RETURNING *"""
_MOVE_POSITION = """
INSERT INTO positions AS p (user_id, venue, symbol, quantity, quote_spent)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, venue, symbol) DO UPDATE
SET quantity = p.quantity + excluded.quantity, quote_spent = p.quote_spent + excluded.quote_spent,
    updated_at = now()"""
_FILLED = (
    "SELECT coalesce(sum(quantity), 0), coalesce(sum(quantity * price), 0) FROM fills WHERE order_id = $1"
)


def _uuid(value: object) -> uuid.UUID:
    # asyncpg's own UUID type compares equal to uuid.UUID but is not one; callers get the real type.
    return value if type(value) is uuid.UUID else uuid.UUID(str(value))


def _order(record: asyncpg.Record) -> Order:
    values = dict(record)
    values["id"], values["user_id"] = _uuid(values["id"]), _uuid(values["user_id"])
    return Order(**values)


def _fill(record: asyncpg.Record) -> Fill:
    values = dict(record)
    for name in ("id", "user_id", "order_id"):
        values[name] = _uuid(values[name])
    return Fill(**values)


def _snapshot(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in _ORDER_COLUMNS}


async def _write(
    connection: asyncpg.Connection, order: Order, before: dict[str, Any], *, unless_moved: bool = False
) -> bool:
    """Write the columns of ``order`` that differ from ``before``; whether the row was written.

    With ``unless_moved`` (no lock held) the row is written only if it still equals ``before`` in
    every column, a compare-and-set; a change that changes nothing is then not confirmed either.
    """
    changed = [name for name in _ORDER_COLUMNS if getattr(order, name) != before[name]]
    if not changed:
        return not unless_moved
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(changed, start=2))
    values = [getattr(order, name) for name in changed]
    statement = f"UPDATE orders SET {assignments} WHERE id = $1"
    if unless_moved:
        first = len(changed) + 2
        unchanged = (f"{name} IS NOT DISTINCT FROM ${i}" for i, name in enumerate(_COMPARED, start=first))
        statement += " AND " + " AND ".join(unchanged)
        values += [before[name] for name in _COMPARED]
    return bool(await connection.execute(statement, order.id, *values) != "UPDATE 0")


async def _apply(
    connection: asyncpg.Connection, order: Order, report: OrderReport, *, unless_moved: bool = False
) -> Change | None:
    """Apply ``report`` to ``order`` and write it; None if ``unless_moved`` and the row had moved."""
    before = _snapshot(order)
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
    if not await _write(connection, order, before, unless_moved=unless_moved):
        return None
    return Change(order, tuple(pending.reached), stale=pending.stale)


async def _lock(connection: asyncpg.Connection, order_id: uuid.UUID) -> Order:
    record = await connection.fetchrow(_LOCK, order_id)
    if record is None:
        raise LookupError(f"no order {order_id}")
    return _order(record)


class OrderRepository:
    """The executor's persistence; every method is one committed transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, values: dict[str, Any]) -> tuple[Order, bool]:
        """Insert an order unless its ``(venue, client_order_id)`` exists; return it and whether it is new."""
        names = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        statement = f"INSERT INTO orders ({', '.join(names)}) VALUES ({placeholders}) {_NEW_ONLY}"
        async with self._pool.acquire() as connection:
            record = await connection.fetchrow(statement, *values.values())
            if record is not None:
                return _order(record), True
        return await self._existing(values), False

    async def create_submitted(self, values: dict[str, Any]) -> tuple[Order, bool]:
        """Insert an order as ``SUBMITTED`` (about to be sent) in one statement, unless a kill
        switch stops its user: then as ``REJECTED`` with the switch's reason. Checking the flag in
        the insert itself leaves no moment between the check and the row; return the row and
        whether it is new (an existing row is returned untouched)."""
        arguments = [values.get(name) for name in _FIELDS]
        async with self._pool.acquire() as connection:
            record = await connection.fetchrow(
                _SUBMIT_UNLESS_STOPPED,
                *arguments,
                S.SUBMITTED.value,
                S.REJECTED.value,
                values.get("reject_reason"),
                STOPPED_BY,
                KillScope.GLOBAL.value,
            )
        if record is not None:
            return _order(record), True
        return await self._existing(values), False

    async def _existing(self, values: dict[str, Any]) -> Order:
        order = await self.get(values["venue"], values["client_order_id"])
        if order is None:  # the conflict was on the intent, under another client order id
            raise LookupError(f"intent {values['intent_id']} already has an order on {values['venue']}")
        return order

    async def get(self, venue: str, client_order_id: str) -> Order | None:
        async with self._pool.acquire() as connection:
            record = await connection.fetchrow(_BY_CLIENT_ID, venue, client_order_id)
        return None if record is None else _order(record)

    async def by_id(self, order_id: uuid.UUID) -> Order:
        async with self._pool.acquire() as connection:
            record = await connection.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)
        if record is None:
            raise LookupError(f"no order {order_id}")
        return _order(record)

    async def by_ids(self, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Order]:
        """The orders with these ids, in one query (a kill switch's report reads hundreds)."""
        async with self._pool.acquire() as connection:
            records = await connection.fetch("SELECT * FROM orders WHERE id = ANY($1)", list(order_ids))
        return {order.id: order for order in map(_order, records)}

    async def by_venue_order_id(self, user_id: uuid.UUID, venue: str, venue_order_id: str) -> Order | None:
        async with self._pool.acquire() as connection:
            record = await connection.fetchrow(
                "SELECT * FROM orders WHERE user_id = $1 AND venue = $2 AND venue_order_id = $3",
                user_id,
                venue,
                venue_order_id,
            )
        return None if record is None else _order(record)

    async def move(
        self, order_id: uuid.UUID, target: OrderStatus, *, reason: str | None = None, sent: bool = False
    ) -> Change:
        """Move an order to ``target`` if the lifecycle allows; ``sent`` stamps ``submitted_at``."""
        async with self._pool.acquire() as connection, connection.transaction():
            order = await _lock(connection, order_id)
            before = _snapshot(order)
            pending = _Pending()
            _move(order, target, pending)
            if reason is not None and pending.reached:
                order.reject_reason = reason[:1000]
            if sent:
                order.submitted_at = datetime.now(UTC)
                order.not_found_count = 0
            await _write(connection, order, before)
        return Change(order, tuple(pending.reached), stale=pending.stale)

    async def move_all(self, order_ids: Sequence[uuid.UUID], target: OrderStatus) -> list[Change]:
        """Move every order the lifecycle lets reach ``target`` in one statement (a kill switch
        marks hundreds ``PENDING_CANCEL`` at once); the others are left as they are."""
        sources = [status.value for status in OrderStatus if can_move(status, target)]
        async with self._pool.acquire() as connection:
            records = await connection.fetch(
                """UPDATE orders SET status = $2, updated_at = now()
                   WHERE id = ANY($1) AND status = ANY($3) RETURNING *""",
                list(order_ids),
                target.value,
                sources,
            )
        return [Change(_order(record), (target,)) for record in records]

    async def apply_report(
        self, order_id: uuid.UUID, report: OrderReport, *, as_read: Order | None = None
    ) -> Change:
        """Apply the venue's view of an order; cumulative quantities never go down.

        ``as_read`` is the row as the caller last read it (the submit path holds the row it just
        inserted): then one compare-and-set statement applies the report unless the row moved
        since, and only a row that did move is locked and read again.
        """
        async with self._pool.acquire() as connection:
            if as_read is not None:
                change = await _apply(connection, Order(**_snapshot(as_read)), report, unless_moved=True)
                if change is not None:
                    return change
            async with connection.transaction():
                change = await _apply(connection, await _lock(connection, order_id), report)
        assert change is not None  # written under the lock
        return change

    async def apply_stream_report(self, user_id: uuid.UUID, venue: str, report: OrderReport) -> Change | None:
        """``apply_report`` for a user-stream report, found by client order id in the same
        transaction; None when the order is not ``user_id``'s (placed elsewhere on the account)."""
        async with self._pool.acquire() as connection, connection.transaction():
            record = await connection.fetchrow(f"{_BY_CLIENT_ID} FOR UPDATE", venue, report.client_order_id)
            if record is None or _uuid(record["user_id"]) != user_id:
                return None
            return await _apply(connection, _order(record), report)  # under the lock: always written

    async def record_fills(self, order_id: uuid.UUID, trades: Sequence[TradeReport]) -> Change:
        """Store each trade once (unique trade id), move the position and the order's filled quantity."""
        async with self._pool.acquire() as connection, connection.transaction():
            order = await _lock(connection, order_id)
            before = _snapshot(order)
            pending = _Pending()
            stored: list[Fill] = []
            for trade in trades:
                record = await connection.fetchrow(
                    _INSERT_FILL,
                    order.user_id,
                    order.id,
                    order.venue,
                    order.symbol,
                    trade.trade_id,
                    trade.side.value,
                    trade.quantity,
                    trade.price,
                    trade.commission,
                    trade.commission_asset,
                    trade.traded_at,
                )
                if record is not None:
                    stored.append(_fill(record))
                    await _move_position(connection, order, trade)
            if stored and order.venue_order_id is None:
                order.venue_order_id = trades[0].venue_order_id  # the stream's trade beat the answer
            if stored:
                filled, quote = await connection.fetchrow(_FILLED, order.id)
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
            await _write(connection, order, before)
        return Change(order, tuple(pending.reached), tuple(stored), stale=pending.stale)

    async def count_not_found(self, order_id: uuid.UUID) -> int:
        async with self._pool.acquire() as connection:
            count = await connection.fetchval(
                "UPDATE orders SET not_found_count = not_found_count + 1 "
                "WHERE id = $1 RETURNING not_found_count",
                order_id,
            )
        return int(count or 0)

    async def open_orders(self, venue: str, *, unconfirmed: bool = False) -> list[Order]:
        """Orders the venue may still change, oldest first; with ``unconfirmed``, also the ones
        our fills completed before the venue's own report said so (``venue_status`` unset)."""
        condition = "status = ANY($2)"
        if unconfirmed:
            condition += " OR (status = ANY($3) AND (venue_status IS NULL OR venue_status = ANY($4)))"
        arguments: list[object] = [venue, _OPEN]
        if unconfirmed:
            arguments += [_FINISHED, list(UNSETTLED_VENUE_STATUSES)]
        async with self._pool.acquire() as connection:
            records = await connection.fetch(
                f"SELECT * FROM orders WHERE venue = $1 AND ({condition}) ORDER BY created_at", *arguments
            )
        return [_order(record) for record in records]

    async def unresolved_counts(self, venue: str, lost_after: int) -> tuple[int, int]:
        """(orders sent with no answer yet, other open orders the venue missed ``lost_after`` times)."""
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT count(*) FILTER (WHERE status = $3),
                          count(*) FILTER (WHERE status <> $3 AND not_found_count >= $4)
                   FROM orders WHERE venue = $1 AND status = ANY($2)""",
                venue,
                _OPEN,
                S.SUBMITTED.value,
                lost_after,
            )
        return int(row[0]), int(row[1])

    async def recent_markets(self, venue: str, since: datetime) -> list[tuple[uuid.UUID, str]]:
        """(user, symbol) pairs with orders created since ``since``: where fills may still arrive."""
        async with self._pool.acquire() as connection:
            records = await connection.fetch(
                """SELECT DISTINCT user_id, symbol FROM orders
                   WHERE venue = $1 AND created_at >= $2 AND venue_order_id IS NOT NULL""",
                venue,
                since,
            )
        return [(_uuid(record["user_id"]), record["symbol"]) for record in records]

    async def unpublished(self, venue: str) -> tuple[list[Order], list[Fill]]:
        """Orders whose last status event and fills whose event have not reached JetStream."""
        async with self._pool.acquire() as connection:
            orders = await connection.fetch(
                "SELECT * FROM orders WHERE venue = $1 AND published_status IS DISTINCT FROM status", venue
            )
            fills = await connection.fetch(
                "SELECT * FROM fills WHERE venue = $1 AND NOT published ORDER BY traded_at", venue
            )
        return [_order(r) for r in orders], [_fill(r) for r in fills]

    async def mark_published(self, marks: Mapping[uuid.UUID, OrderStatus]) -> None:
        """Record, in one statement, the last status of each order whose event JetStream acknowledged."""
        if not marks:
            return
        async with self._pool.acquire() as connection:
            await connection.execute(
                """UPDATE orders AS o SET published_status = m.status
                   FROM unnest($1::uuid[], $2::text[]) AS m(id, status) WHERE o.id = m.id""",
                list(marks),
                [status.value for status in marks.values()],
            )

    async def mark_fills_published(self, fill_ids: Sequence[uuid.UUID]) -> None:
        if fill_ids:
            async with self._pool.acquire() as connection:
                await connection.execute(
                    "UPDATE fills SET published = true WHERE id = ANY($1)", list(fill_ids)
                )

    async def fills_of(self, order_id: uuid.UUID) -> list[Fill]:
        async with self._pool.acquire() as connection:
            records = await connection.fetch("SELECT * FROM fills WHERE order_id = $1", order_id)
        return [_fill(record) for record in records]


async def _move_position(connection: asyncpg.Connection, order: Order, trade: TradeReport) -> None:
    base, quote = split_symbol(order.symbol)
    sign = Decimal(1) if trade.side == OrderSide.BUY else Decimal(-1)
    quantity = sign * trade.quantity
    spent = sign * trade.quantity * trade.price
    if trade.commission_asset == base:
        quantity -= trade.commission
    elif trade.commission_asset == quote:
        spent += trade.commission
    await connection.execute(_MOVE_POSITION, order.user_id, order.venue, order.symbol, quantity, spent)


__all__ = ["Change", "OrderRepository"]
