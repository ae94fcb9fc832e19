"""Binance's raw payloads (REST and ``executionReport``) as our reports, exactly.

ccxt's unified order turns quantities into floats and folds PARTIALLY_FILLED into ``"open"``,
so the executor reads the raw ``info`` ccxt keeps beside it: decimal strings, Binance statuses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from shared.domain.enums import OrderSide, OrderStatus
from shared.domain.order_reports import OrderReport, TradeReport
from shared.domain.symbols import normalize_symbol
from shared.messages.base import from_ms

S = OrderStatus
BINANCE_STATUS: Final[dict[str, OrderStatus]] = {
    "PENDING_NEW": S.SUBMITTED,
    "NEW": S.ACCEPTED,
    "PARTIALLY_FILLED": S.PARTIALLY_FILLED,
    "FILLED": S.FILLED,
    "PENDING_CANCEL": S.PENDING_CANCEL,
    "CANCELED": S.CANCELED,
    "REJECTED": S.REJECTED,
    "EXPIRED": S.EXPIRED,
    "EXPIRED_IN_MATCH": S.EXPIRED,  # self-trade prevention
}


def _decimal(value: Any, default: str = "0") -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(default)


def _time(value: Any) -> datetime | None:
    return from_ms(int(value)) if value not in (None, "") else None


def order_report(info: dict[str, Any]) -> OrderReport:
    """An order from a REST answer (``orderId``...) or an ``executionReport`` (``i``, ``X``...)."""
    if "e" in info:  # executionReport: on a cancel, "C" is the original client order id
        status = str(info["X"])
        client_order_id = str(info.get("C") or info["c"]) if status == "CANCELED" else str(info["c"])
        return OrderReport(
            client_order_id=client_order_id,
            venue_order_id=str(info["i"]),
            status=BINANCE_STATUS[status],
            venue_status=status,
            filled=_decimal(info.get("z")),
            filled_quote=_decimal(info.get("Z")),
            updated_at=_time(info.get("T") or info.get("E")),
        )
    status = str(info["status"])
    return OrderReport(
        client_order_id=str(info["clientOrderId"]),
        venue_order_id=str(info["orderId"]),
        status=BINANCE_STATUS[status],
        venue_status=status,
        filled=_decimal(info.get("executedQty")),
        filled_quote=_decimal(info.get("cummulativeQuoteQty")),
        updated_at=_time(info.get("updateTime") or info.get("transactTime")),
    )


def cancel_report(info: dict[str, Any]) -> OrderReport:
    """A cancel's answer: there ``clientOrderId`` is the cancel request's id, the order's is
    ``origClientOrderId``."""
    return order_report({**info, "clientOrderId": info.get("origClientOrderId") or info["clientOrderId"]})


def response_fills(info: dict[str, Any], symbol: str, side: OrderSide) -> tuple[TradeReport, ...]:
    """The ``fills`` of a FULL order response."""
    when = _time(info.get("transactTime"))
    assert when is not None, "a FULL response carries transactTime"
    return tuple(
        TradeReport(
            trade_id=str(fill["tradeId"]),
            venue_order_id=str(info["orderId"]),
            client_order_id=str(info["clientOrderId"]),
            symbol=symbol,
            side=side,
            quantity=_decimal(fill["qty"]),
            price=_decimal(fill["price"]),
            commission=_decimal(fill.get("commission")),
            commission_asset=str(fill.get("commissionAsset") or ""),
            traded_at=when,
        )
        for fill in info.get("fills") or ()
    )


def trade_report(info: dict[str, Any]) -> TradeReport | None:
    """A trade from ``GET /api/v3/myTrades`` or an ``executionReport`` of execution type TRADE."""
    if "e" in info:
        if info.get("x") != "TRADE" or int(info.get("t", -1)) < 0:
            return None
        return TradeReport(
            trade_id=str(info["t"]),
            venue_order_id=str(info["i"]),
            client_order_id=str(info["c"]),
            symbol=normalize_symbol(str(info["s"])),
            side=OrderSide(str(info["S"]).lower()),
            quantity=_decimal(info["l"]),
            price=_decimal(info["L"]),
            commission=_decimal(info.get("n")),
            commission_asset=str(info.get("N") or ""),
            traded_at=from_ms(int(info["T"])),
        )
    return TradeReport(
        trade_id=str(info["id"]),
        venue_order_id=str(info["orderId"]),
        client_order_id=None,
        symbol=normalize_symbol(str(info["symbol"])),
        side=OrderSide.BUY if info.get("isBuyer") else OrderSide.SELL,
        quantity=_decimal(info["qty"]),
        price=_decimal(info["price"]),
        commission=_decimal(info.get("commission")),
        commission_asset=str(info.get("commissionAsset") or ""),
        traded_at=from_ms(int(info["time"])),
    )


__all__ = ["BINANCE_STATUS", "cancel_report", "order_report", "response_fills", "trade_report"]
