"""The risk gate's messages: its decisions, and the approvals and mode changes people send it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from shared.domain.enums import DecisionOutcome, TradingMode
from shared.messages.base import Message
from shared.messages.chat import UserId

Digest = str
DIGEST_PATTERN = r"^[0-9a-f]{64}$"


class RiskDecisionMade(Message):
    """The gate's verdict on one intent; ``reason`` says why for anything but approval.

    A ``pending`` decision carries the ``digest`` of the exact parameters a person must approve
    and when the proposal expires; ``correlation_id`` is the intent's id end to end.
    """

    type: Literal["risk.decision"] = "risk.decision"
    intent_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    outcome: DecisionOutcome
    reason: str = Field("", max_length=1000)
    check: str | None = Field(None, max_length=64, description="Name of the check that decided.")
    digest: str | None = Field(None, pattern=DIGEST_PATTERN)
    expires_at: datetime | None = None
    actor: str | None = Field(None, max_length=64, description="Who approved or rejected, if a person.")


class ApprovalGiven(Message):
    """A person's answer to a pending proposal, bound to the digest of the parameters they saw:
    a proposal whose parameters changed since does not match and is refused."""

    type: Literal["risk.approval"] = "risk.approval"
    intent_id: str = Field(min_length=1, max_length=64)
    user_id: UserId
    digest: str = Field(pattern=DIGEST_PATTERN)
    approve: bool
    actor: str = Field(min_length=1, max_length=64)
    reason: str = Field("", max_length=500)


class TradingModeRequested(Message):
    """Switch a user between manual and autonomous; autonomous needs ``confirm`` set explicitly."""

    type: Literal["risk.mode"] = "risk.mode"
    user_id: UserId
    mode: TradingMode
    confirm: bool = False
    actor: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _autonomous_is_confirmed(self) -> TradingModeRequested:
        if self.mode is TradingMode.AUTONOMOUS and not self.confirm:
            raise ValueError("autonomous mode needs confirm=true")
        return self
