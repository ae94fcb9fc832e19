"""Timelines against the database: missing, extra and mismatched rows, in exact decimals.

Checked in batches (two statements per batch of closed timelines: their intents, and their orders
with the fills aggregated), on a pool that is ``service_role`` (every user's rows) and read-only
from its first packet, so the audit cannot change what it audits.

*Missing*: the stream has it, the database does not. *Mismatch*: both have it and a field
differs (terms, status, quantities, prices, fill sums). *Extra*: a row created inside the
replayed window that no replayed message mentions; finding those needs every key the replay
saw, kept as 8-byte digests (``SeenKeys``), about 8 MB per million orders, rather than the
timelines themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import asyncpg
import numpy as np
import numpy.typing as npt

from cryptopulse.replay.timeline import Timeline

Kind = Literal["missing", "extra", "mismatch"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One discrepancy between the stream and the database."""

    kind: Kind
    table: str
    key: str
    user_id: str
    field: str | None = None
    stream: str | None = None
    database: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "table": self.table,
            "key": self.key,
            "user_id": self.user_id,
            "field": self.field,
            "stream": self.stream,
            "database": self.database,
        }

    def __str__(self) -> str:
        what = f"{self.kind} {self.table} {self.key}"
        if self.field is not None:
            what += f": {self.field} stream={self.stream} database={self.database}"
        return what


_INTENTS = """
SELECT intent_id, user_id::text AS user_id, symbol, side, order_type, quantity, quote_quantity,
       limit_price, status
FROM intents WHERE intent_id = ANY($1::text[])"""
_ORDERS = """
SELECT o.intent_id, o.client_order_id, o.user_id::text AS user_id, o.symbol, o.side, o.order_type,
       o.requested_qty, o.requested_quote_qty, o.limit_price, o.status, o.filled_qty,
       coalesce(json_agg(json_build_object(
           'trade_id', f.trade_id, 'quantity', f.quantity::text, 'price', f.price::text,
           'commission', f.commission::text, 'commission_asset', f.commission_asset))
         FILTER (WHERE f.id IS NOT NULL), '[]')::text AS fills
FROM orders o LEFT JOIN fills f ON f.order_id = o.id
WHERE o.client_order_id = ANY($1::text[])
GROUP BY o.id"""
_EXTRA_INTENTS = """
SELECT intent_id, user_id::text AS user_id, created_at FROM intents
WHERE created_at >= $1 AND created_at <= $2 AND ($3::uuid IS NULL OR user_id = $3::uuid)
  AND intent_id > $4
ORDER BY intent_id LIMIT $5"""
_EXTRA_ORDERS = """
SELECT client_order_id, user_id::text AS user_id, created_at FROM orders
WHERE created_at >= $1 AND created_at <= $2 AND ($3::uuid IS NULL OR user_id = $3::uuid)
  AND client_order_id > $4
ORDER BY client_order_id LIMIT $5"""


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class SeenKeys:
    """Every intent id and client order id the replay saw, as sorted 64-bit digests."""

    def __init__(self) -> None:
        self._chunks: list[npt.NDArray[np.uint64]] = []
        self._current: list[int] = []
        self._sorted: npt.NDArray[np.uint64] | None = None

    def add(self, key: str) -> None:
        self._current.append(_digest(key))
        if len(self._current) >= 65_536:
            self._chunks.append(np.array(self._current, dtype=np.uint64))
            self._current = []
        self._sorted = None

    def __contains__(self, key: object) -> bool:
        if self._sorted is None:
            parts = [*self._chunks, np.array(self._current, dtype=np.uint64)]
            self._sorted = np.sort(np.concatenate(parts))
        digest = np.uint64(_digest(str(key)))
        index = int(np.searchsorted(self._sorted, digest))
        return index < len(self._sorted) and bool(self._sorted[index] == digest)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._chunks) + 8 * len(self._current)


class DbChecker:
    """Checks closed timelines against the database, a batch at a time."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.queries = 0

    async def check(self, timelines: Sequence[Timeline]) -> list[list[Finding]]:
        """The findings of each timeline, in the order given."""
        intent_ids = [t.intent_id for t in timelines if t.intent_id is not None]
        order_ids = [t.client_order_id for t in timelines if t.client_order_id is not None]
        async with self._pool.acquire() as connection, connection.transaction(readonly=True):
            intents = {r["intent_id"]: r for r in await connection.fetch(_INTENTS, intent_ids)}
            orders = {r["client_order_id"]: r for r in await connection.fetch(_ORDERS, order_ids)}
        self.queries += 2
        return [
            _compare(t, intents.get(t.intent_id or ""), orders.get(t.client_order_id or ""))
            for t in timelines
        ]

    async def extras(
        self, seen: SeenKeys, start: datetime, end: datetime, user: str | None, page: int = 5_000
    ) -> list[Finding]:
        """Rows created in ``[start, end]`` (of ``user``) that the replay never saw."""
        found: list[Finding] = []
        for table, statement, column in (
            ("intents", _EXTRA_INTENTS, "intent_id"),
            ("orders", _EXTRA_ORDERS, "client_order_id"),
        ):
            after = ""
            while True:
                async with self._pool.acquire() as connection, connection.transaction(readonly=True):
                    rows = await connection.fetch(statement, start, end, user, after, page)
                self.queries += 1
                for row in rows:
                    if row[column] not in seen:
                        found.append(
                            Finding(
                                "extra",
                                table,
                                row[column],
                                row["user_id"],
                                "created_at",
                                None,
                                row["created_at"].isoformat(),
                            )
                        )
                if len(rows) < page:
                    break
                after = rows[-1][column]
        return found


def _differences(
    table: str, key: str, user: str, pairs: Iterable[tuple[str, object, object]]
) -> list[Finding]:
    return [
        Finding("mismatch", table, key, user, name, _text(stream), _text(database))
        for name, stream, database in pairs
        if stream != database
    ]


def _compare(t: Timeline, intent: Any, order: Any) -> list[Finding]:
    found: list[Finding] = []
    if t.intent_id is not None and (t.intent is not None or t.outcome is not None):
        if intent is None:
            found.append(Finding("missing", "intents", t.intent_id, t.user_id))
        else:
            pairs: list[tuple[str, object, object]] = [("user_id", t.user_id, intent["user_id"])]
            if t.intent is not None:
                f = t.intent
                pairs += [
                    ("symbol", f["symbol"], intent["symbol"]),
                    ("side", str(f["side"]), intent["side"]),
                    ("order_type", str(f["order_type"]), intent["order_type"]),
                    ("quantity", f.get("quantity"), intent["quantity"]),
                    ("quote_quantity", f.get("quote_quantity"), intent["quote_quantity"]),
                    ("limit_price", f.get("limit_price"), intent["limit_price"]),
                ]
            if t.outcome is not None and t.closed:
                pairs.append(("status", t.outcome.value, intent["status"]))
            found += _differences("intents", t.intent_id, t.user_id, pairs)
    if t.client_order_id is not None and (t.commanded or t.status is not None):
        if order is None:
            found.append(Finding("missing", "orders", t.client_order_id, t.user_id))
        else:
            found += _compare_order(t, t.client_order_id, order)
    return found


def _compare_order(t: Timeline, cid: str, order: Any) -> list[Finding]:
    pairs: list[tuple[str, object, object]] = [("user_id", t.user_id, order["user_id"])]
    if t.commanded:
        pairs += [
            ("requested_qty", t.quantity, order["requested_qty"]),
            ("requested_quote_qty", t.quote_quantity, order["requested_quote_qty"]),
            ("limit_price", t.limit_price, order["limit_price"]),
        ]
    if t.closed and t.status is not None:
        pairs.append(("status", t.status.value, order["status"]))
    found = _differences("orders", cid, t.user_id, pairs)
    stored = {f["trade_id"]: f for f in json.loads(order["fills"])}
    for trade_id, seen in t.fills.items():
        row = stored.get(trade_id)
        key = f"{cid}/{trade_id}"
        if row is None:
            found.append(Finding("missing", "fills", key, t.user_id))
            continue
        found += _differences(
            "fills",
            key,
            t.user_id,
            (
                ("quantity", seen.quantity, Decimal(row["quantity"])),
                ("price", seen.price, Decimal(row["price"])),
                ("commission", seen.commission, Decimal(row["commission"])),
                ("commission_asset", seen.commission_asset, row["commission_asset"]),
            ),
        )
    if t.closed and not t.partial:
        for trade_id in stored.keys() - t.fills.keys():
            found.append(Finding("extra", "fills", f"{cid}/{trade_id}", t.user_id))
        found += _differences("orders", cid, t.user_id, (("filled_qty", t.filled, order["filled_qty"]),))
    return found


__all__ = ["DbChecker", "Finding", "SeenKeys"]
