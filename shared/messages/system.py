"""System messages: the kill switch, the executor's report of what it ended, and dead letters."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.domain.enums import KillScope
from shared.messages.base import Message, NonNegativeDecimal


class KillSwitchEngaged(Message):
    """Stop trading: globally (admin) or for one user. Released only by ``KillSwitchReleased``."""

    type: Literal["sys.kill_engaged"] = "sys.kill_engaged"
    scope: KillScope
    user_id: str | None = Field(None, max_length=64)
    actor: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _user_scope_names_user(self) -> KillSwitchEngaged:
        if (self.scope is KillScope.USER) != (self.user_id is not None):
            raise ValueError("expected user_id exactly when scope is 'user'")
        return self


class KillSwitchReleased(Message):
    type: Literal["sys.kill_released"] = "sys.kill_released"
    scope: KillScope
    user_id: str | None = Field(None, max_length=64)
    actor: str = Field(min_length=1, max_length=64)


class KilledOrder(BaseModel):
    """One order a kill switch ended, with how much of it had filled by then."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(max_length=64)
    client_order_id: str = Field(max_length=64)
    symbol: str = Field(max_length=32)
    filled_quantity: NonNegativeDecimal


class KillFailure(BaseModel):
    """What a kill switch could not end (yet): an order, a symbol, or a whole account, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(max_length=64)
    symbol: str | None = Field(None, max_length=32)
    client_order_id: str | None = Field(None, max_length=64)
    reason: str = Field(max_length=1000)


REPORT_MAX_ORDERS = 5000
"""Entries kept per list of a report, so it fits a NATS payload; ``omitted`` counts the rest."""


class KillSwitchReport(Message):
    """What one executor did about one engaged switch: ``complete`` when the venue verifiably
    showed no open order of any affected account afterwards.

    ``cancelled`` ended resting at the venue; ``filled_meanwhile`` filled (wholly, or further)
    while the switch was being enforced; ``unsent`` were stored but never sent and now never
    will be; ``failed`` is what was still open when the report was made; ``retried`` counts cancel
    requests that failed and were repeated. ``released`` says the switch was released first.
    """

    type: Literal["sys.kill_report"] = "sys.kill_report"
    scope: KillScope
    user_id: str | None = Field(None, max_length=64)
    venue: str = Field(min_length=1, max_length=16)
    engaged_at: AwareDatetime | None = None
    cancelled: list[KilledOrder] = Field(default_factory=list, max_length=REPORT_MAX_ORDERS)
    filled_meanwhile: list[KilledOrder] = Field(default_factory=list, max_length=REPORT_MAX_ORDERS)
    unsent: list[KilledOrder] = Field(default_factory=list, max_length=REPORT_MAX_ORDERS)
    failed: list[KillFailure] = Field(default_factory=list, max_length=REPORT_MAX_ORDERS)
    omitted: int = Field(0, ge=0, description="Entries left off lists longer than REPORT_MAX_ORDERS.")
    retried: int = Field(0, ge=0)
    complete: bool
    released: bool = False
    started_at: AwareDatetime
    finished_at: AwareDatetime


class DeadLettered(Message):
    """A message that failed validation or handling: kept with the reason, never silently dropped."""

    type: Literal["sys.dead_letter"] = "sys.dead_letter"
    service: str = Field(min_length=1, max_length=64)
    subject: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1, max_length=2000)
    payload: str = Field(max_length=1_000_000, description="The original bytes, decoded lossily.")
