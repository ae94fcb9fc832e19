"""Data shapes of the gateway's API (what the web app reads); decimals travel as strings."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from shared.db.models.exchange_keys import Venue
from shared.db.repositories.exchange_keys import LABEL_PATTERN, ExchangeKeyInfo
from shared.db.repositories.exchange_keys import check_secret as check_key_secret
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


MAX_API_KEY_CHARS = 256
MAX_API_SECRET_CHARS = 4096
"""Room for an RSA private key in PEM (Binance accepts RSA and Ed25519 keys as well as HMAC)."""
DEFAULT_LABEL = "main"
"""The label ``cryptopulse keys`` uses too, so a key added by CLI is the one the API rotates."""

LABEL_REGEX = f"^{LABEL_PATTERN.pattern}$"
"""The repository's label rule, anchored: pydantic and FastAPI patterns search, they do not match whole."""
LABEL_DESCRIPTION = "Name of the key: 1-64 letters, digits, '_', '.' or '-'."


class ExchangeKeyPut(BaseModel):
    """A key pair to store (add) or to replace the stored one with (rotate). Write-only."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "api_key": "EXAMPLE-api-key-from-the-exchange-Eh8A",
                    "api_secret": "EXAMPLE-api-secret-from-the-exchange",
                    "label": "main",
                }
            ]
        },
    )

    api_key: SecretStr = Field(min_length=1, max_length=MAX_API_KEY_CHARS)
    api_secret: SecretStr = Field(min_length=1, max_length=MAX_API_SECRET_CHARS)
    label: str = Field(DEFAULT_LABEL, pattern=LABEL_REGEX, description=LABEL_DESCRIPTION)

    @field_validator("api_key", "api_secret")
    @classmethod
    def _no_whitespace(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        # The repository's rule, checked here so it is a 422 naming the field (never quoting it).
        return check_key_secret(value, "API key" if info.field_name == "api_key" else "API secret")


class ExchangeKeyPublic(BaseModel):
    """What the owner may see of a stored key: never the secret, never a ciphertext."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "6f1c2a4e-3b0d-4c5e-9a8f-2d7b1e0c9f31",
                "venue": "testnet",
                "label": "main",
                "api_key_hint": "Eh8A",
                "created_at": "2025-11-25T10:00:00Z",
                "rotated_at": None,
            }
        }
    )

    id: UUID
    venue: Venue
    label: str
    api_key_hint: str | None = Field(
        description="Last 4 characters of the API key, or null for a key too short to hint at."
    )
    created_at: datetime
    rotated_at: datetime | None = Field(description="When the key pair was last replaced.")

    @classmethod
    def of(cls, info: ExchangeKeyInfo) -> ExchangeKeyPublic:
        return cls(
            id=info.id,
            venue=info.venue,
            label=info.label,
            api_key_hint=info.api_key_hint or None,
            created_at=info.created_at,
            rotated_at=info.rotated_at,
        )


class ExchangeKeysPublic(BaseModel):
    data: list[ExchangeKeyPublic]
    count: int


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


def batched_trade(tick: TradeTick) -> dict[str, object]:
    """One trade inside a ``trades`` push: a ``trade`` push without the type and symbol its batch carries."""
    return {
        "trade_id": tick.trade_id,
        "price": plain_decimal(tick.price),
        "quantity": plain_decimal(tick.quantity),
        "ts": to_ms(tick.ts_event),
    }


def trades_event(symbol: str, trades: list[dict[str, object]]) -> dict[str, object]:
    """The WebSocket push of one symbol's trades since the last flush, oldest first."""
    return {"type": "trades", "symbol": symbol, "trades": trades}


def candle_event(candle: Candle) -> dict[str, object]:
    """The WebSocket push of one closed candle."""
    return {
        "type": "candle",
        "symbol": candle.symbol,
        "interval": candle.interval.value,
        **CandlePublic.of(candle).model_dump(),
    }
