"""Market data: trade ticks, book tops and candles, published by market_feed on ``md.*``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from shared.domain.enums import OrderSide, VenueName
from shared.domain.intervals import Interval
from shared.domain.symbols import Symbol
from shared.messages.base import ExactDecimal, Message, NonNegativeDecimal, PositiveDecimal, derived_id


class TradeTick(Message):
    """One trade on the venue: the system's "tick"."""

    type: Literal["md.trade"] = "md.trade"
    venue: VenueName
    symbol: Symbol
    trade_id: str = Field(min_length=1, max_length=64)
    price: PositiveDecimal
    quantity: PositiveDecimal
    aggressor_side: OrderSide | None = None

    @staticmethod
    def id_for(venue: str, symbol: str, trade_id: str) -> str:
        # Readable and cheap (no hashing on the hottest path); unique per venue, symbol and trade.
        return f"md.trade:{venue}:{symbol}:{trade_id}"


class BookTop(Message):
    """Best bid and ask."""

    type: Literal["md.book_top"] = "md.book_top"
    venue: VenueName
    symbol: Symbol
    bid_price: PositiveDecimal
    bid_quantity: NonNegativeDecimal
    ask_price: PositiveDecimal
    ask_quantity: NonNegativeDecimal

    @model_validator(mode="after")
    def _not_crossed(self) -> BookTop:
        if self.bid_price > self.ask_price:
            raise ValueError(f"expected bid <= ask, was {self.bid_price} > {self.ask_price}")
        return self


class Candle(Message):
    """An OHLCV candle; ``closed`` is true once its interval has ended and it will not change."""

    type: Literal["md.candle"] = "md.candle"
    venue: VenueName
    symbol: Symbol
    interval: Interval
    open_time: AwareDatetime
    close_time: AwareDatetime
    open: PositiveDecimal
    high: PositiveDecimal
    low: PositiveDecimal
    close: PositiveDecimal
    volume: NonNegativeDecimal
    closed: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Candle:
        if not (self.low <= min(self.open, self.close) and self.high >= max(self.open, self.close)):
            raise ValueError(
                f"expected low <= open,close <= high, was o={self.open} h={self.high} "
                f"l={self.low} c={self.close}"
            )
        if self.close_time <= self.open_time:
            raise ValueError("expected close_time after open_time")
        return self

    @staticmethod
    def id_for(venue: str, symbol: str, interval: str, open_time_ms: int) -> str:
        return derived_id("md.candle", venue, symbol, interval, open_time_ms)


MarketMessage = Annotated[TradeTick | BookTop | Candle, Field(discriminator="type")]
"""Any market-data message; one subscriber on ``md.>`` validates all three."""

__all__ = ["BookTop", "Candle", "ExactDecimal", "MarketMessage", "TradeTick"]
