"""Validation of an intent as it arrives, before any check runs.

An intent that fails here never reaches a check, let alone the executor: malformed JSON, extra
fields, NaN/infinite/negative/zero amounts (the message schema refuses them), a user id that is
not the one its subject names (a publisher speaking for someone else), a venue this gate does
not serve, or a symbol the venue does not list. The refusal says which, so it can be recorded
and, when the intent named itself well enough, published as a denied decision.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from services.risk_gate.model import Proposal
from shared.messages.intents import TradeIntentCreated

VALIDATION = "validation"
"""The check name recorded for intents refused here."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Why an intent was refused, and who it belongs to when that much could be read."""

    reason: str
    intent_id: str | None = None
    user_id: uuid.UUID | None = None


def subject_user(subject: str) -> str:
    """The user token of ``intent.<user>``."""
    return subject.rsplit(".", 1)[-1]


def read_intent(
    data: bytes, subject: str, *, venue: str, listed: frozenset[str], received_at: datetime
) -> Proposal | Refused:
    """Return the proposal, or why it is refused (never raises on bad input)."""
    try:
        intent = TradeIntentCreated.model_validate_json(data)
    except ValidationError as e:
        return Refused(f"invalid intent: {_summary(e)}", *_identity(data))
    if intent.user_id != subject_user(subject):
        return Refused(
            f"intent for user {intent.user_id} published on another user's subject", intent.intent_id
        )
    try:
        user_id = uuid.UUID(intent.user_id)
    except ValueError:
        return Refused(f"user_id {intent.user_id!r} is not a UUID", intent.intent_id)
    if intent.venue.value != venue:
        return Refused(f"this gate serves venue {venue}, not {intent.venue.value}", intent.intent_id, user_id)
    if intent.symbol not in listed:
        return Refused(f"unknown symbol {intent.symbol} on {venue}", intent.intent_id, user_id)
    return Proposal.of(intent, user_id, received_at)


def _summary(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _identity(data: bytes) -> tuple[str | None, uuid.UUID | None]:
    """The intent id and user of an invalid intent, if they at least are readable."""
    try:
        raw = json.loads(data)
    except ValueError:
        return None, None
    if not isinstance(raw, dict):
        return None, None
    intent_id = raw.get("intent_id")
    intent_id = intent_id if isinstance(intent_id, str) and 0 < len(intent_id) <= 64 else None
    try:
        user_id = uuid.UUID(str(raw.get("user_id")))
    except ValueError:
        user_id = None
    return intent_id, user_id


__all__ = ["VALIDATION", "Refused", "read_intent", "subject_user"]
