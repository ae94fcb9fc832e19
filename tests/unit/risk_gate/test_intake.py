"""Intents are validated before any check: bad input is refused with a reason, never forwarded."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.risk_gate.intake import Refused, read_intent
from services.risk_gate.model import Proposal

USER = str(uuid.uuid4())
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LISTED = frozenset({"BTC/USDT", "ETH/USDT"})


def intent(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "intent.created",
        "intent_id": "i-1",
        "user_id": USER,
        "source": "parser",
        "venue": "paper",
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "limit",
        "quantity": "0.5",
        "limit_price": "30000",
        "ts_event": NOW.isoformat(),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def read(body: dict[str, Any] | bytes, subject_user: str = USER) -> Proposal | Refused:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return read_intent(data, f"intent.{subject_user}", venue="paper", listed=LISTED, received_at=NOW)


def test_a_valid_intent_becomes_a_proposal_with_exact_decimals() -> None:
    proposal = read(intent())
    assert isinstance(proposal, Proposal)
    assert proposal.quantity == Decimal("0.5") and proposal.limit_price == Decimal(30000)
    assert proposal.user_id == uuid.UUID(USER) and proposal.correlation_id == "i-1"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"limit_price": "-30000"}, "limit_price"),
        ({"limit_price": "1e400"}, "limit_price"),
        ({"leverage": 100}, "leverage"),
        ({"side": "short"}, "side"),
        ({"quote_quantity": "100"}, "exactly one of quantity or quote_quantity"),
    ],
)
def test_bad_numbers_and_extra_fields_are_refused_with_the_field_named(
    changes: dict[str, Any], says: str
) -> None:
    refused = read(intent(**changes))
    assert isinstance(refused, Refused)
    assert says in refused.reason
    assert refused.intent_id == "i-1" and refused.user_id == uuid.UUID(USER)


def test_an_unknown_symbol_is_refused_before_any_check() -> None:
    refused = read(intent(symbol="DOGE/USDT"))
    assert isinstance(refused, Refused) and refused.reason == "unknown symbol DOGE/USDT on paper"


def test_another_venue_is_refused() -> None:
    refused = read(intent(venue="live"))
    assert isinstance(refused, Refused) and "serves venue paper" in refused.reason


def test_an_intent_for_another_user_is_refused_and_attributed_to_no_one() -> None:
    refused = read(intent(), subject_user=str(uuid.uuid4()))
    assert isinstance(refused, Refused)
    assert "another user's subject" in refused.reason and refused.user_id is None


@pytest.mark.parametrize("data", [b"", b"not json", b"[1, 2]", b'{"type": "intent.created"}', b"\xff\xfe"])
def test_unreadable_bytes_are_refused_without_raising(data: bytes) -> None:
    refused = read(data)
    assert isinstance(refused, Refused) and refused.reason.startswith("invalid intent")
