"""Where accounts, balances, orders and fills live: one SQLite database (stdlib ``sqlite3``).

Why SQLite in WAL mode rather than a JSON-lines journal: one event (an order placed, a fill)
changes several records at once — the order, a fill, two balances — and a SQLite transaction
commits them all or none, so a ``kill -9`` at any instant leaves either the state before the
event or the state after it, never a half-written order. ``synchronous=NORMAL`` in WAL mode keeps
that guarantee across process crashes (only a power cut may lose the last commits) while a
commit costs tens of microseconds, which the order round-trip budget needs. Queries (by client
order id, by time, from an id) come free instead of a replayed journal's hand-made indexes.
Without ``paper_state_dir`` the same schema lives in memory and nothing survives a restart.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.paper_exchange.model import Fill, Order

FILE_NAME = "paper-exchange.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (api_key TEXT PRIMARY KEY, secret TEXT NOT NULL,
    can_trade INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS balances (api_key TEXT NOT NULL, asset TEXT NOT NULL, free TEXT NOT NULL,
    locked TEXT NOT NULL, PRIMARY KEY (api_key, asset));
CREATE TABLE IF NOT EXISTS orders (order_id INTEGER PRIMARY KEY, api_key TEXT NOT NULL,
    symbol TEXT NOT NULL, client_order_id TEXT NOT NULL, open INTEGER NOT NULL, time INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_client ON orders (api_key, symbol, client_order_id);
CREATE INDEX IF NOT EXISTS orders_open ON orders (open) WHERE open = 1;
CREATE TABLE IF NOT EXISTS fills (trade_id INTEGER PRIMARY KEY, api_key TEXT NOT NULL,
    symbol TEXT NOT NULL, order_id INTEGER NOT NULL, time INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fills_by_account ON fills (api_key, symbol, trade_id);
"""


class Store:
    """A write-through record of the trading state; the engine keeps the live copy in memory."""

    def __init__(self, state_dir: Path | None) -> None:
        if state_dir is None:
            target = ":memory:"
        else:
            state_dir.mkdir(parents=True, exist_ok=True)
            target = str(state_dir / FILE_NAME)
        # The connection is opened in a worker thread at start-up and then used on the event loop.
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside commits together; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    def add_account(self, api_key: str, secret: str, can_trade: bool, created: int) -> None:
        self._db.execute(
            "INSERT INTO accounts VALUES (?, ?, ?, ?)", (api_key, secret, int(can_trade), created)
        )

    def save_balance(self, api_key: str, asset: str, free: Decimal, locked: Decimal) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO balances VALUES (?, ?, ?, ?)", (api_key, asset, str(free), str(locked))
        )

    def save_order(self, order: Order) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (order.order_id, order.api_key, order.symbol, order.client_order_id, int(order.is_open),
             order.time, json.dumps(order.doc())),
        )  # fmt: skip

    def add_fill(self, fill: Fill) -> None:
        self._db.execute(
            "INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?)",
            (fill.trade_id, fill.api_key, fill.symbol, fill.order_id, fill.time, json.dumps(fill.doc())),
        )

    def accounts(self) -> list[tuple[str, str, bool]]:
        rows = self._db.execute("SELECT api_key, secret, can_trade FROM accounts ORDER BY created").fetchall()
        return [(key, secret, bool(can_trade)) for key, secret, can_trade in rows]

    def balances(self) -> list[tuple[str, str, Decimal, Decimal]]:
        rows = self._db.execute("SELECT api_key, asset, free, locked FROM balances").fetchall()
        return [(key, asset, Decimal(free), Decimal(locked)) for key, asset, free, locked in rows]

    def open_orders(self) -> list[Order]:
        rows = self._db.execute("SELECT doc FROM orders WHERE open = 1 ORDER BY order_id").fetchall()
        return [Order.from_doc(json.loads(doc)) for (doc,) in rows]

    def last_ids(self) -> tuple[int, int]:
        """The highest order id and trade id used so far (0 when none)."""
        order = self._db.execute("SELECT COALESCE(MAX(order_id), 0) FROM orders").fetchone()[0]
        trade = self._db.execute("SELECT COALESCE(MAX(trade_id), 0) FROM fills").fetchone()[0]
        return int(order), int(trade)

    def find_order(
        self, api_key: str, symbol: str, order_id: int | None, client_id: str | None
    ) -> Order | None:
        """By id, else the latest order with that client id (Binance's lookup)."""
        if order_id is not None:
            sql, args = "order_id = ?", (order_id,)
        else:
            sql, args = "client_order_id = ?", (client_id,)  # type: ignore[assignment]
        row = self._db.execute(
            f"SELECT doc FROM orders WHERE api_key = ? AND symbol = ? AND {sql} "
            "ORDER BY order_id DESC LIMIT 1",
            (api_key, symbol, *args),
        ).fetchone()
        return None if row is None else Order.from_doc(json.loads(row[0]))

    def orders(self, api_key: str, symbol: str, where: str, args: tuple[Any, ...], limit: int) -> list[Order]:
        rows = self._db.execute(
            f"SELECT doc FROM orders WHERE api_key = ? AND symbol = ? {where} ORDER BY order_id LIMIT ?",
            (api_key, symbol, *args, limit),
        ).fetchall()
        return [Order.from_doc(json.loads(doc)) for (doc,) in rows]

    def fills(self, api_key: str, symbol: str, where: str, args: tuple[Any, ...], limit: int) -> list[Fill]:
        rows = self._db.execute(
            f"SELECT doc FROM fills WHERE api_key = ? AND symbol = ? {where} ORDER BY trade_id LIMIT ?",
            (api_key, symbol, *args, limit),
        ).fetchall()
        return [Fill.from_doc(json.loads(doc)) for (doc,) in rows]
