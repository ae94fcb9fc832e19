"""System messages: the kill switch and the dead-letter record."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from shared.domain.enums import KillScope
from shared.messages.base import Message


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


class DeadLettered(Message):
    """A message that failed validation or handling: kept with the reason, never silently dropped."""

    type: Literal["sys.dead_letter"] = "sys.dead_letter"
    service: str = Field(min_length=1, max_length=64)
    subject: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1, max_length=2000)
    payload: str = Field(max_length=1_000_000, description="The original bytes, decoded lossily.")
