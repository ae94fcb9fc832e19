"""Orders, fills and their Binance JSON: the trading side's records.

Records are plain dataclasses so the store can keep them as JSON documents and the engine can
mutate an open order in place; every amount is an exact ``Decimal``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from services.paper_exchange.numbers import ZERO, fmt

OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")


@dataclass(slots=True)
class Order:
    order_id: int
    api_key: str
    symbol: str
    client_order_id: str
    side: str  # BUY | SELL
    type: str  # MARKET | LIMIT | LIMIT_MAKER | STOP_LOSS_LIMIT | TAKE_PROFIT_LIMIT
    time_in_force: str  # GTC | IOC | FOK (GTC for MARKET, as Binance prints it)
    price: Decimal
    orig_qty: Decimal
    quote_order_qty: Decimal
    stop_price: Decimal
    time: int
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cumm_quote: Decimal = ZERO
    update_time: int = 0
    working_time: int = -1  # -1 until a stop order triggers
    locked: Decimal = ZERO  # what this order still holds locked, in locked_asset
    locked_asset: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_working(self) -> bool:
        return self.working_time >= 0

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    def doc(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Order:
        return cls(**_typed(cls, doc))

    def rest(self) -> dict[str, Any]:
        """``GET /api/v3/order``'s shape."""
        return {
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_order_id, "price": fmt(self.price), "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty), "cummulativeQuoteQty": fmt(self.cumm_quote),
            "status": self.status, "timeInForce": self.time_in_force, "type": self.type, "side": self.side,
            "stopPrice": fmt(self.stop_price), "icebergQty": fmt(ZERO), "time": self.time,
            "updateTime": self.update_time, "isWorking": self.is_working,
            "workingTime": self.working_time, "origQuoteOrderQty": fmt(self.quote_order_qty),
            "selfTradePreventionMode": "NONE",
        }  # fmt: skip

    def result(self, transact_time: int) -> dict[str, Any]:
        """``POST /api/v3/order`` with ``newOrderRespType=RESULT``."""
        out = self.rest()
        for key in ("time", "updateTime", "isWorking", "icebergQty"):
            out.pop(key)
        if self.type not in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
            out.pop("stopPrice")
        out["transactTime"] = transact_time
        return out


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: int
    order_id: int
    api_key: str
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_maker: bool

    def doc(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Fill:
        return cls(**_typed(cls, doc))

    def response_fill(self) -> dict[str, Any]:
        """One entry of a FULL response's ``fills``."""
        return {"price": fmt(self.price), "qty": fmt(self.qty), "commission": fmt(self.commission),
                "commissionAsset": self.commission_asset, "tradeId": self.trade_id}  # fmt: skip

    def rest(self) -> dict[str, Any]:
        """``GET /api/v3/myTrades``'s shape."""
        return {
            "symbol": self.symbol, "id": self.trade_id, "orderId": self.order_id, "orderListId": -1,
            "price": fmt(self.price), "qty": fmt(self.qty), "quoteQty": fmt(self.quote_qty),
            "commission": fmt(self.commission), "commissionAsset": self.commission_asset,
            "time": self.time, "isBuyer": self.side == "BUY", "isMaker": self.is_maker, "isBestMatch": True,
        }  # fmt: skip


def _typed(cls: type[Any], doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for f in fields(cls):
        if f.type == "Decimal":
            out[f.name] = Decimal(out[f.name])
    return out
