"""Data shapes of the gateway's API (what the web app reads); decimals travel as strings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.messages.base import plain_decimal, to_ms
from shared.messages.market import Candle, TradeTick


class CandlePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "open_time": 1677628800000,
                "open": "23140.48",
                "high": "23150.77",
                "low": "23128.52",
                "close": "23142.31",
                "volume": "2.131777",
                "closed": True,
            }
        }
    )

    open_time: int = Field(description="Open time, epoch milliseconds (UTC).")
    open: str
    high: str
    low: str
    close: str
    volume: str
    closed: bool

    @classmethod
    def of(cls, candle: Candle) -> CandlePublic:
        return cls(
            open_time=to_ms(candle.open_time),
            open=plain_decimal(candle.open),
            high=plain_decimal(candle.high),
            low=plain_decimal(candle.low),
            close=plain_decimal(candle.close),
            volume=plain_decimal(candle.volume),
            closed=candle.closed,
        )


class CandlesPublic(BaseModel):
    symbol: str = Field(examples=["BTC/USDT"])
    interval: str = Field(examples=["1m"])
    candles: list[CandlePublic]


class SymbolsPublic(BaseModel):
    venue: str = Field(examples=["paper"])
    symbols: list[str] = Field(examples=[["BTC/USDT", "ETH/USDT"]])
    intervals: list[str] = Field(examples=[["1m", "5m", "1h", "1d"]])


def trade_event(tick: TradeTick) -> dict[str, object]:
    """The WebSocket push of one trade."""
    return {
        "type": "trade",
        "symbol": tick.symbol,
        "trade_id": tick.trade_id,
        "price": plain_decimal(tick.price),
        "quantity": plain_decimal(tick.quantity),
        "ts": to_ms(tick.ts_event),
    }


def candle_event(candle: Candle) -> dict[str, object]:
    """The WebSocket push of one closed candle."""
    return {
        "type": "candle",
        "symbol": candle.symbol,
        "interval": candle.interval.value,
        **CandlePublic.of(candle).model_dump(),
    }
