"""Risk-gate decisions on intents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.domain.enums import DecisionOutcome
from shared.messages.base import Message
from shared.messages.chat import UserId


class RiskDecisionMade(Message):
    """The gate's verdict on one intent; ``reason`` says why for anything but approval."""

    type: Literal["risk.decision"] = "risk.decision"
    intent_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    outcome: DecisionOutcome
    reason: str = Field("", max_length=1000)
    check: str | None = Field(None, max_length=64, description="Name of the check that decided.")
