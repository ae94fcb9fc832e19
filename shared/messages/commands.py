"""Order commands from the risk gate to the executor."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.domain.enums import OrderSide, OrderType, TimeInForce, VenueName
from shared.domain.symbols import Symbol
from shared.messages.base import Message, PositiveDecimal
from shared.messages.chat import UserId

ClientOrderId = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9._:/-]+$")]


class SubmitOrder(Message):
    """Place one order; ``client_order_id`` is derived from the intent so a redelivery is harmless."""

    type: Literal["exec.submit_order"] = "exec.submit_order"
    intent_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    venue: VenueName
    client_order_id: ClientOrderId
    symbol: Symbol
    side: OrderSide
    order_type: OrderType
    quantity: PositiveDecimal | None = None
    quote_quantity: PositiveDecimal | None = None
    limit_price: PositiveDecimal | None = None
    time_in_force: TimeInForce | None = None


class CancelOrder(Message):
    type: Literal["exec.cancel_order"] = "exec.cancel_order"
    user_id: UserId
    venue: VenueName
    client_order_id: ClientOrderId
    symbol: Symbol


class CancelAllOrders(Message):
    """Cancel every open order of a user on every symbol (the kill switch's arm)."""

    type: Literal["exec.cancel_all"] = "exec.cancel_all"
    user_id: UserId
    venue: VenueName
    reason: str = Field(max_length=500)


OrderCommand = Annotated[SubmitOrder | CancelOrder | CancelAllOrders, Field(discriminator="type")]
