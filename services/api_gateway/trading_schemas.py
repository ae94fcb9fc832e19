"""Shapes of the trading data the API shows: intents, orders, fills, positions, balances, P&L.

Decimals travel as plain strings (never floats, never exponents); times as ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Balance, Position
from shared.db.repositories.intents import IntentRecord
from shared.domain.enums import DecisionOutcome, OrderStatus
from shared.domain.pnl import MarketPnl, QuoteTotals
from shared.messages.base import plain_decimal
from shared.messages.risk import DIGEST_PATTERN

_DIGEST = "a3f1c2" + "0" * 58
SYMBOL_INPUT_REGEX = r"^[A-Za-z0-9]{2,10}[/_-]?[A-Za-z0-9]{2,10}$"
"""The spellings ``normalize_symbol`` may accept (BTC/USDT, BTCUSDT, btc-usdt): anything else is
refused by the schema itself; a spelling it fits but whose quote is unknown still gets a 4xx."""


def _text(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


class IntentPublic(BaseModel):
    """One proposal and what became of it; ``digest`` is what an approval must quote back."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "intent_id": "int-7d1e4c", "source": "parser", "rule_id": None, "venue": "paper",
                "symbol": "BTC/USDT", "side": "buy", "order_type": "limit", "quantity": "0.01",
                "quote_quantity": None, "limit_price": "30000", "digest": _DIGEST,
                "reference_price": "30150.5", "status": "pending", "check": None, "reason": None,
                "decided_by": None, "created_at": "2026-11-28T10:00:00Z", "decided_at": None,
                "expires_at": "2026-11-28T10:05:00Z", "client_order_id": None,
            }
        }
    )  # fmt: skip

    intent_id: str
    source: str = Field(description="Who asked: parser, model or rule.")
    rule_id: str | None
    venue: str
    symbol: str
    side: str
    order_type: str
    quantity: str | None = Field(description="Base quantity, or null when a quote amount was asked.")
    quote_quantity: str | None
    limit_price: str | None
    digest: str = Field(description="SHA-256 of the exact parameters: quote it to approve or reject.")
    reference_price: str | None = Field(description="The market price when the gate decided.")
    status: DecisionOutcome
    check: str | None = Field(description="The check that decided, if one refused it.")
    reason: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None = Field(description="When a pending proposal lapses.")
    client_order_id: str | None

    @classmethod
    def of(cls, intent: IntentRecord) -> IntentPublic:
        return cls(
            intent_id=intent.intent_id, source=intent.source, rule_id=intent.rule_id,
            venue=intent.venue, symbol=intent.symbol, side=intent.side, order_type=intent.order_type,
            quantity=_text(intent.quantity), quote_quantity=_text(intent.quote_quantity),
            limit_price=_text(intent.limit_price), digest=intent.digest,
            reference_price=_text(intent.reference_price), status=intent.status,
            check=intent.check_name, reason=intent.reason, decided_by=intent.decided_by,
            created_at=intent.created_at, decided_at=intent.decided_at, expires_at=intent.expires_at,
            client_order_id=intent.client_order_id,
        )  # fmt: skip


class ApprovalBody(BaseModel):
    """An answer to a pending proposal, bound to the digest of the parameters the trader saw."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"digest": _DIGEST, "reason": "price looks right"}]}
    )

    digest: str = Field(pattern=DIGEST_PATTERN, description="The proposal's digest, as listed.")
    reason: str = Field("", max_length=500)


class ApprovalRequested(BaseModel):
    """Accepted for the risk gate, which re-checks the proposal and publishes its decision."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "intent_id": "int-7d1e4c",
                "approve": True,
                "message_id": "5b0e3c0e-0f6f-5d55-9c43-0e0c1a8b7f21",
            }
        }
    )

    intent_id: str
    approve: bool
    message_id: str = Field(description="Id of the ApprovalGiven message (the same for a repeated answer).")


class FillPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                "order_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
                "venue": "paper", "symbol": "BTC/USDT", "trade_id": "184223", "side": "buy",
                "quantity": "0.01", "price": "29998.7", "commission": "0.00001",
                "commission_asset": "BTC", "traded_at": "2026-11-28T10:01:02Z",
            }
        }
    )  # fmt: skip

    id: UUID
    order_id: UUID
    venue: str
    symbol: str
    trade_id: str
    side: str
    quantity: str
    price: str
    commission: str
    commission_asset: str
    traded_at: datetime

    @classmethod
    def of(cls, fill: Fill) -> FillPublic:
        return cls(
            id=fill.id, order_id=fill.order_id, venue=fill.venue, symbol=fill.symbol,
            trade_id=fill.trade_id, side=fill.side, quantity=plain_decimal(fill.quantity),
            price=plain_decimal(fill.price), commission=plain_decimal(fill.commission),
            commission_asset=fill.commission_asset, traded_at=fill.traded_at,
        )  # fmt: skip


_ORDER_EXAMPLE: JsonDict = {
    "id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "venue": "paper", "symbol": "BTC/USDT", "side": "buy",
    "order_type": "limit", "time_in_force": "GTC", "intent_id": "int-7d1e4c",
    "client_order_id": "cp-7d1e4c", "requested_qty": "0.01", "requested_quote_qty": None,
    "limit_price": "30000", "status": "filled", "reject_reason": None, "venue_order_id": "5531",
    "filled_qty": "0.01", "filled_quote_qty": "299.987", "avg_price": "29998.7",
    "created_at": "2026-11-28T10:01:00Z", "updated_at": "2026-11-28T10:01:02Z",
}  # fmt: skip


class OrderPublic(BaseModel):
    """What we asked for (``requested_*``, ``limit_price``) beside what the venue reported."""

    model_config = ConfigDict(json_schema_extra={"example": _ORDER_EXAMPLE})

    id: UUID
    venue: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str | None
    intent_id: str
    client_order_id: str
    requested_qty: str | None
    requested_quote_qty: str | None
    limit_price: str | None
    status: OrderStatus
    reject_reason: str | None
    venue_order_id: str | None
    filled_qty: str
    filled_quote_qty: str
    avg_price: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderPublic:
        return cls(**_order_fields(order))


def _order_fields(order: Order) -> dict[str, object]:
    return {
        "id": order.id, "venue": order.venue, "symbol": order.symbol, "side": order.side,
        "order_type": order.order_type, "time_in_force": order.time_in_force,
        "intent_id": order.intent_id, "client_order_id": order.client_order_id,
        "requested_qty": _text(order.requested_qty), "requested_quote_qty": _text(order.requested_quote_qty),
        "limit_price": _text(order.limit_price), "status": OrderStatus(order.status),
        "reject_reason": order.reject_reason, "venue_order_id": order.venue_order_id,
        "filled_qty": plain_decimal(order.filled_qty),
        "filled_quote_qty": plain_decimal(order.filled_quote_qty),
        "avg_price": _text(order.avg_price), "created_at": order.created_at, "updated_at": order.updated_at,
    }  # fmt: skip


class OrderDetail(OrderPublic):
    """An order with its fills, oldest first."""

    model_config = ConfigDict(json_schema_extra={"example": {**_ORDER_EXAMPLE, "fills": []}})

    fills: list[FillPublic]

    @classmethod
    def with_fills(cls, order: Order, fills: list[Fill]) -> OrderDetail:
        return cls(**_order_fields(order), fills=[FillPublic.of(fill) for fill in fills])


class PositionPublic(BaseModel):
    """Net base quantity and net quote spent on a symbol, summed from our fills (fees included)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "venue": "paper",
                "symbol": "BTC/USDT",
                "quantity": "0.00999",
                "quote_spent": "299.987",
                "updated_at": "2026-11-28T10:01:02Z",
            }
        }
    )

    venue: str
    symbol: str
    quantity: str
    quote_spent: str
    updated_at: datetime

    @classmethod
    def of(cls, position: Position) -> PositionPublic:
        return cls(
            venue=position.venue,
            symbol=position.symbol,
            quantity=plain_decimal(position.quantity),
            quote_spent=plain_decimal(position.quote_spent),
            updated_at=position.updated_at,
        )


class PositionsPublic(BaseModel):
    data: list[PositionPublic]


class BalancePublic(BaseModel):
    """One asset as the venue last reported it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "venue": "paper",
                "asset": "USDT",
                "free": "9700.013",
                "locked": "0",
                "total": "9700.013",
                "updated_at": "2026-11-28T10:01:03Z",
            }
        }
    )

    venue: str
    asset: str
    free: str
    locked: str
    total: str
    updated_at: datetime

    @classmethod
    def of(cls, balance: Balance) -> BalancePublic:
        return cls(
            venue=balance.venue,
            asset=balance.asset,
            free=plain_decimal(balance.free),
            locked=plain_decimal(balance.locked),
            total=plain_decimal(balance.free + balance.locked),
            updated_at=balance.updated_at,
        )


class BalancesPublic(BaseModel):
    data: list[BalancePublic]


class MarketPnlPublic(BaseModel):
    """One symbol's P&L in its quote asset; unrealised and total are null without a stored price."""

    venue: str
    symbol: str
    quote: str
    quantity: str
    realised: str
    unrealised: str | None
    total: str | None
    price: str | None = Field(description="The latest stored price (last 1m close), if any.")
    price_at: datetime | None

    @classmethod
    def of(cls, pnl: MarketPnl) -> MarketPnlPublic:
        return cls(
            venue=pnl.venue, symbol=pnl.symbol, quote=pnl.quote, quantity=plain_decimal(pnl.quantity),
            realised=plain_decimal(pnl.realised), unrealised=_text(pnl.unrealised), total=_text(pnl.total),
            price=_text(pnl.price), price_at=pnl.price_at,
        )  # fmt: skip


class QuoteTotalsPublic(BaseModel):
    """Sums over the symbols quoted in one asset; ``unpriced`` lists symbols left out of
    unrealised and total for want of a stored price."""

    quote: str
    realised: str
    unrealised: str
    total: str
    unpriced: list[str]

    @classmethod
    def of(cls, totals: QuoteTotals) -> QuoteTotalsPublic:
        return cls(
            quote=totals.quote,
            realised=plain_decimal(totals.realised),
            unrealised=plain_decimal(totals.unrealised),
            total=plain_decimal(totals.total),
            unpriced=list(totals.unpriced),
        )


class PnlPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "markets": [
                    {
                        "venue": "paper", "symbol": "BTC/USDT", "quote": "USDT", "quantity": "0.01",
                        "realised": "12.5", "unrealised": "3.1", "total": "15.6", "price": "30310",
                        "price_at": "2026-11-28T10:05:00Z",
                    }
                ],
                "totals": [
                    {
                        "quote": "USDT", "realised": "12.5", "unrealised": "3.1", "total": "15.6",
                        "unpriced": [],
                    }
                ],
            }
        }
    )  # fmt: skip

    markets: list[MarketPnlPublic]
    totals: list[QuoteTotalsPublic] = Field(
        description="Per quote asset: amounts in different assets never add up."
    )


__all__ = [
    "SYMBOL_INPUT_REGEX",
    "ApprovalBody",
    "ApprovalRequested",
    "BalancePublic",
    "BalancesPublic",
    "FillPublic",
    "IntentPublic",
    "MarketPnlPublic",
    "OrderDetail",
    "OrderPublic",
    "PnlPublic",
    "PositionPublic",
    "PositionsPublic",
    "QuoteTotalsPublic",
]
