"""The base of every message on the bus: frozen, strict, versioned, with ids fit for de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

ID_NAMESPACE: UUID = uuid5(NAMESPACE_URL, "https://cryptopulse.dev/messages")


def derived_id(*parts: object) -> str:
    """Return a deterministic id from the causing message's parts.

    A redelivered input then republishes the same ``Nats-Msg-Id`` and JetStream drops the copy;
    a fresh ``uuid4`` would defeat the de-duplication window.
    """
    return str(uuid5(ID_NAMESPACE, ":".join(str(p) for p in parts)))


def utc_now() -> datetime:
    return datetime.now(UTC)


def from_ms(ms: int) -> datetime:
    """Return the aware UTC datetime of an epoch-milliseconds timestamp."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def plain_decimal(value: Decimal) -> str:
    """Return ``value`` without exponent or trailing zeros: ``26080.53000000`` → ``26080.53``."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plain_decimal(value: Decimal) -> str:
    # Never scientific notation: "0.00000100", not "1.00E-6"; exact, never a float.
    return format(value, "f")


ExactDecimal = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=38, decimal_places=18),
    PlainSerializer(_plain_decimal, return_type=str, when_used="json"),
]
"""Money and quantities: exact, finite, within what NUMERIC(38, 18) stores (so an absurd number
like ``1e400`` is refused at the edge, not deep inside), serialised as a plain decimal string."""

PositiveDecimal = Annotated[ExactDecimal, Field(gt=0)]
NonNegativeDecimal = Annotated[ExactDecimal, Field(ge=0)]


class Message(BaseModel):
    """Base of every message: immutable, unknown fields rejected, versioned by ``type``/``version``.

    ``message_id`` is the JetStream ``Nats-Msg-Id``; ``correlation_id`` is the originating intent's id
    and travels from chat to fill.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="float")

    TYPE: ClassVar[str] = "message"

    version: int = Field(1, ge=1, description="Schema version of this message type.")
    message_id: str = Field(default_factory=lambda: str(uuid4()), min_length=1, max_length=128)
    correlation_id: str | None = Field(None, max_length=128)
    ts_event: AwareDatetime = Field(description="When the thing happened.")
    ts_init: AwareDatetime = Field(default_factory=utc_now, description="When this message was made.")

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        return cls.model_validate_json(data)

    def with_changes(self, **changes: Any) -> Self:
        """Return a validated copy with ``changes`` applied (messages are frozen)."""
        return type(self).model_validate({**self.model_dump(), **changes})
