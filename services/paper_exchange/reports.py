"""User data events in Binance's shape: ``executionReport`` and ``outboundAccountPosition``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.paper_exchange.model import Fill, Order
from services.paper_exchange.numbers import ZERO, fmt


def execution_report(
    order: Order, execution: str, now: int, execution_id: int, fill: Fill | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One order event. On a cancel ``c`` is the cancel's own client id and ``C`` the order's."""
    canceled = execution == "CANCELED"
    return {
        "e": "executionReport", "E": now, "s": order.symbol,
        "c": client_id if canceled and client_id else order.client_order_id,
        "S": order.side, "o": order.type, "f": order.time_in_force, "q": fmt(order.orig_qty),
        "p": fmt(order.price), "P": fmt(order.stop_price), "F": fmt(ZERO), "g": -1,
        "C": order.client_order_id if canceled else "", "x": execution, "X": order.status, "r": "NONE",
        "i": order.order_id, "l": fmt(fill.qty if fill else ZERO), "z": fmt(order.executed_qty),
        "L": fmt(fill.price if fill else ZERO), "n": fmt(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else None, "T": fill.time if fill else now,
        "t": fill.trade_id if fill else -1, "I": execution_id, "w": order.is_open and order.is_working,
        "m": fill.is_maker if fill else False, "M": False, "O": order.time, "Z": fmt(order.cumm_quote),
        "Y": fmt(fill.quote_qty if fill else ZERO), "Q": fmt(order.quote_order_qty),
        "W": order.working_time if order.is_working else order.time, "V": "NONE",
    }  # fmt: skip


def account_position(now: int, balances: list[tuple[str, Decimal, Decimal]]) -> dict[str, Any]:
    return {
        "e": "outboundAccountPosition", "E": now, "u": now,
        "B": [{"a": asset, "f": fmt(free), "l": fmt(locked)} for asset, free, locked in balances],
    }  # fmt: skip
