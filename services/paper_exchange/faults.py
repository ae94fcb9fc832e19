"""Faults switched on and off at run time through ``/admin/faults``.

Two sorts: *standing* faults are fields of ``Faults`` and stay until changed (``latency_ms``,
``rest_status``, ``streams_down``, and for trading ``order_status``, ``cancel_fail_status``,
``after_accept_*``, ``order_invisible_s``); *actions* happen once when posted as ``true``
(``drop_streams``, ``drop_user_streams``, ``malformed_frames``). New faults are a field here or a
``register_action`` call; the admin route and validation need no change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

RESET = "reset"


class Faults(BaseModel):
    """The standing faults; the defaults are a healthy exchange."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    latency_ms: int = Field(0, ge=0, le=120_000, description="Added before every /api/v3 response.")
    rest_status: int | None = Field(
        None, ge=400, le=599, description="Answer every /api/v3 call with this HTTP status."
    )
    retry_after_s: int = Field(1, ge=0, le=86_400, description="Retry-After sent with 418 and 429.")
    streams_down: bool = Field(False, description="Refuse new WebSocket connections (HTTP 503).")
    order_status: int | None = Field(
        None,
        ge=400,
        le=599,
        description="Refuse new orders and cancels with this HTTP status (not accepted).",
    )
    cancel_fail_status: int | None = Field(
        None,
        ge=500,
        le=599,
        description="Refuse every other cancel request (DELETE /order and /openOrders, the first "
        "one included) with this 5xx status, before it takes effect: a venue failing half its cancels.",
    )
    after_accept_status: int | None = Field(
        None,
        ge=500,
        le=599,
        description="Accept each new order, then answer this 5xx status (outcome unknown).",
    )
    after_accept_timeout: bool = Field(False, description="Accept each new order, then answer -1007 TIMEOUT.")
    after_accept_drop: bool = Field(False, description="Accept each new order, then drop the connection.")
    order_invisible_s: float = Field(
        0.0, ge=0, le=3600, description="New orders stay invisible to order and trade queries this long."
    )


class FaultError(ValueError):
    """An admin request that cannot be applied; the message says why."""


Action = Callable[[], Any]


class FaultRegistry:
    """The current faults and the one-shot actions that can be triggered."""

    def __init__(self) -> None:
        self.current = Faults()
        self._actions: dict[str, Action] = {}
        self._cancels = 0

    def cancel_refusal(self) -> int | None:
        """The status to refuse this cancel request with (``cancel_fail_status``), or None."""
        if self.current.cancel_fail_status is None:
            return None
        self._cancels += 1
        return self.current.cancel_fail_status if self._cancels % 2 == 1 else None

    def register_action(self, name: str, action: Action) -> None:
        if name in Faults.model_fields or name == RESET:
            raise ValueError(f"action {name!r} would shadow a fault of the same name")
        self._actions[name] = action

    def describe(self) -> dict[str, Any]:
        return {"faults": self.current.model_dump(), "actions": sorted(self._actions)}

    def apply(self, body: object) -> dict[str, Any]:
        """Apply a patch like ``{"latency_ms": 200, "drop_streams": true}``; ``null`` restores a
        fault's default and ``{"reset": true}`` restores them all. All or nothing."""
        if not isinstance(body, dict) or not body:
            raise FaultError("expected a non-empty JSON object of fault names to values")
        known = set(Faults.model_fields) | set(self._actions) | {RESET}
        unknown = sorted(str(k) for k in body if k not in known)
        if unknown:
            raise FaultError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        triggered = [name for name in self._actions if name in body]
        for name in [*triggered, RESET]:
            if name in body and not isinstance(body[name], bool):
                raise FaultError(f"{name} takes true or false, was {body[name]!r}")
        base = {} if body.get(RESET) else self.current.model_dump()
        patch = {k: v for k, v in body.items() if k in Faults.model_fields}
        for name, value in patch.items():
            if value is None:
                base.pop(name, None)  # back to the default
            else:
                base[name] = value
        try:
            faults = Faults.model_validate(base)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            raise FaultError(problems) from None
        if faults.cancel_fail_status != self.current.cancel_fail_status:
            self._cancels = 0  # a fresh setting fails its first cancel
        self.current = faults
        results = {name: self._actions[name]() for name in triggered if body[name]}
        return {**self.describe(), "triggered": results}
