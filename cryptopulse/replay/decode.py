"""Recorded trading messages to plain records, exactly, without a pydantic model per message.

The replay reads millions of messages; validating each with its pydantic model costs more than
the rest of the replay together. The fast path reads the JSON once, checks every field the audit
uses (ids present, enumerations known, decimals finite and in range, parsed as ``Decimal`` from
their strings, never through a float) and stops there. Anything the fast path does not accept
goes through the shared model, which either accepts it (the record then comes from the model) or
says exactly what is wrong: that message is reported as bad, never dropped silently, and the run
goes on. ``strict`` sends every message through the models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any, Final

import orjson
from pydantic import TypeAdapter, ValidationError

from shared.domain.enums import DecisionOutcome, OrderSide, OrderType, VenueName
from shared.messages.commands import CancelAllOrders, CancelOrder, SubmitOrder
from shared.messages.intents import TradeIntentCreated
from shared.messages.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from shared.messages.risk import ApprovalGiven, RiskDecisionMade

Fields = dict[str, Any]

MODELS: Final[Mapping[str, type[Any]]] = {
    model.model_fields["type"].default: model
    for model in (
        TradeIntentCreated,
        RiskDecisionMade,
        ApprovalGiven,
        SubmitOrder,
        CancelOrder,
        CancelAllOrders,
        OrderSubmitted,
        OrderAccepted,
        OrderRejected,
        OrderFilled,
        OrderCanceled,
        OrderExpired,
    )
}
"""Every message type a timeline is made of, by its ``type`` field."""

_SIDES = frozenset(OrderSide)
_ORDER_TYPES = frozenset(OrderType)
_OUTCOMES = frozenset(DecisionOutcome)
_VENUES = frozenset(VenueName)
_ZERO = Decimal(0)
_LIMIT = Decimal(10) ** 20  # NUMERIC(38, 18) holds fewer than 10**20

_ORDER_EVENT = ("user_id", "venue", "client_order_id", "symbol")
_TEXT: Final[Mapping[str, tuple[str, ...]]] = {
    "intent.created": ("intent_id", "user_id", "source", "venue", "symbol", "side", "order_type"),
    "risk.decision": ("intent_id", "user_id", "outcome"),
    "risk.approval": ("intent_id", "user_id", "digest", "actor"),
    "exec.submit_order": ("intent_id", "user_id", "venue", "client_order_id", "symbol", "side", "order_type"),
    "exec.cancel_order": ("user_id", "venue", "client_order_id", "symbol"),
    "exec.cancel_all": ("user_id", "venue"),
    "order.submitted": _ORDER_EVENT,
    "order.accepted": (*_ORDER_EVENT, "venue_order_id"),
    "order.rejected": _ORDER_EVENT,
    "order.filled": (*_ORDER_EVENT, "venue_order_id", "trade_id", "side", "commission_asset"),
    "order.canceled": _ORDER_EVENT,
    "order.expired": _ORDER_EVENT,
}
_AMOUNTS = ("quantity", "quote_quantity", "limit_price")
_POSITIVE: Final[Mapping[str, tuple[str, ...]]] = {
    "order.filled": ("last_quantity", "last_price", "cumulative_quantity"),
}
_NOT_NEGATIVE: Final[Mapping[str, tuple[str, ...]]] = {"order.filled": ("commission",)}
_OPTIONAL_POSITIVE: Final[Mapping[str, tuple[str, ...]]] = {
    "intent.created": _AMOUNTS,
    "exec.submit_order": _AMOUNTS,
}
_DOMAINS: Final[Mapping[str, frozenset[str]]] = {
    "side": _SIDES,
    "order_type": _ORDER_TYPES,
    "outcome": _OUTCOMES,
    "venue": _VENUES,
}


AS_TEXT = frozenset({"ts_init", "expires_at"})
"""Times the audit does not read: the fast path leaves them as the text that was sent."""


@dataclass(frozen=True, slots=True)
class _Checks:
    """What the fast path checks in one kind of message, laid out so the checks run in C:
    ``texts`` fetches the id and enumeration fields at once (a missing one raises ``KeyError``),
    a ``str.join`` of them raises ``TypeError`` unless all are strings."""

    texts: Callable[[Fields], tuple[str, ...]]
    domains: tuple[tuple[str, frozenset[str]], ...]
    optional_positive: tuple[str, ...]
    positive: tuple[str, ...]
    not_negative: tuple[str, ...]


def _checks(kind: str) -> _Checks:
    names = _TEXT[kind]
    return _Checks(
        texts=itemgetter(*names) if len(names) > 1 else lambda fields: (fields[names[0]],),
        domains=tuple((name, _DOMAINS[name]) for name in names if name in _DOMAINS),
        optional_positive=_OPTIONAL_POSITIVE.get(kind, ()),
        positive=_POSITIVE.get(kind, ()),
        not_negative=_NOT_NEGATIVE.get(kind, ()),
    )


_CHECKS: Final[Mapping[str, _Checks]] = {kind: _checks(kind) for kind in _TEXT}


class BadMessage(ValueError):
    """A recorded message that is not a valid trading message; ``str()`` says why."""


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a setattr call per field
class Recorded:
    """One decoded message of the stream, where it was and what it said."""

    seq: int
    """Stream sequence."""
    stored_ns: int
    """When JetStream stored it (nanoseconds since the epoch)."""
    subject: str
    type: str
    at: datetime
    """``ts_event``: when the thing happened."""
    fields: Fields


def _fast(data: bytes) -> Fields | None:
    """The message's fields with decimals and times parsed, or None to ask the model.

    Runs once per replayed message: a decimal is checked as ``0 < Decimal(text) < 10**20``
    (a NaN makes the comparison raise, an infinity fails it), nothing goes through a float.
    """
    try:
        fields: Fields = orjson.loads(data)
        checks = _CHECKS[fields["type"]]
        texts = checks.texts(fields)
        "".join(texts)  # TypeError unless every one is a string
        if "" in texts:
            return None
        for name, domain in checks.domains:
            if fields[name] not in domain:
                return None
        for name in checks.optional_positive:
            value = fields.get(name)
            if value is not None:
                if type(value) is not str or not _ZERO < (number := Decimal(value)) < _LIMIT:
                    return None
                fields[name] = number
        for name in checks.positive:
            value = fields[name]
            if type(value) is not str or not _ZERO < (number := Decimal(value)) < _LIMIT:
                return None
            fields[name] = number
        for name in checks.not_negative:
            value = fields[name]
            if type(value) is not str or not _ZERO <= (number := Decimal(value)) < _LIMIT:
                return None
            fields[name] = number
        at = fields["ts_event"] = datetime.fromisoformat(fields["ts_event"])
        if at.tzinfo is None:
            return None
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None
    return fields


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(kind: str) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(MODELS[kind])
    return adapter


def _validated(data: bytes) -> Fields:
    """The message through its shared model: its fields, or ``BadMessage`` with the reason."""
    try:
        kind = orjson.loads(data)["type"]
    except (ValueError, TypeError, KeyError):
        raise BadMessage("not a JSON object with a 'type'") from None
    if kind not in MODELS:
        raise BadMessage(f"unknown message type {str(kind)[:64]!r}")
    try:
        model = _adapter(kind).validate_json(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        raise BadMessage(f"{kind}: {where}: {first['msg']} ({error.error_count()} errors)") from None
    fields: Fields = model.model_dump()
    return fields


def decoder(*, strict: bool = False) -> Callable[[int, int, str, bytes], Recorded]:
    """Return ``decode(seq, stored_ns, subject, data)`` → ``Recorded``, raising ``BadMessage``."""

    def decode(seq: int, stored_ns: int, subject: str, data: bytes) -> Recorded:
        fields = None if strict else _fast(data)
        if fields is None:
            fields = _validated(data)
        return Recorded(seq, stored_ns, subject, str(fields["type"]), fields["ts_event"], fields)

    return decode


__all__ = ["AS_TEXT", "MODELS", "BadMessage", "Fields", "Recorded", "decoder"]
