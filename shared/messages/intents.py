"""Trade intents: what the agent (parser, model or rule) proposes; only the risk gate disposes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shared.domain.enums import IntentSource, OrderSide, OrderType, VenueName
from shared.domain.symbols import Symbol
from shared.messages.base import Message, PositiveDecimal
from shared.messages.chat import UserId


class TradeIntentCreated(Message):
    """A validated proposal to trade; ``intent_id`` becomes the correlation id end to end."""

    type: Literal["intent.created"] = "intent.created"
    intent_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    source: IntentSource
    venue: VenueName = VenueName.PAPER
    symbol: Symbol
    side: OrderSide
    order_type: OrderType
    quantity: PositiveDecimal | None = Field(None, description="Base-asset amount.")
    quote_quantity: PositiveDecimal | None = Field(None, description="Quote-asset amount to spend.")
    limit_price: PositiveDecimal | None = None
    rule_id: str | None = Field(None, max_length=64)
    rationale: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _one_amount_and_price_rules(self) -> TradeIntentCreated:
        if (self.quantity is None) == (self.quote_quantity is None):
            raise ValueError("expected exactly one of quantity or quote_quantity")
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError("expected a limit_price for a limit order")
        if self.order_type is OrderType.MARKET and self.limit_price is not None:
            raise ValueError("expected no limit_price for a market order")
        return self
