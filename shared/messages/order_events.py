"""Order events from the executor: what the venue did with an order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.domain.enums import OrderSide, VenueName
from shared.domain.symbols import Symbol
from shared.messages.base import Message, NonNegativeDecimal, PositiveDecimal
from shared.messages.chat import UserId
from shared.messages.commands import ClientOrderId


class _OrderEvent(Message):
    user_id: UserId
    venue: VenueName
    client_order_id: ClientOrderId
    symbol: Symbol


class OrderSubmitted(_OrderEvent):
    type: Literal["order.submitted"] = "order.submitted"


class OrderAccepted(_OrderEvent):
    type: Literal["order.accepted"] = "order.accepted"
    venue_order_id: str = Field(min_length=1, max_length=64)


class OrderRejected(_OrderEvent):
    type: Literal["order.rejected"] = "order.rejected"
    reason: str = Field(max_length=1000)


class OrderFilled(_OrderEvent):
    """One fill (partial or final); de-duplicated by ``trade_id``."""

    type: Literal["order.filled"] = "order.filled"
    venue_order_id: str = Field(min_length=1, max_length=64)
    trade_id: str = Field(min_length=1, max_length=64)
    side: OrderSide
    last_quantity: PositiveDecimal
    last_price: PositiveDecimal
    cumulative_quantity: PositiveDecimal
    commission: NonNegativeDecimal
    commission_asset: str = Field(max_length=16)


class OrderCanceled(_OrderEvent):
    type: Literal["order.canceled"] = "order.canceled"


class OrderExpired(_OrderEvent):
    type: Literal["order.expired"] = "order.expired"


OrderEvent = Annotated[
    OrderSubmitted | OrderAccepted | OrderRejected | OrderFilled | OrderCanceled | OrderExpired,
    Field(discriminator="type"),
]
