"""Shapes of the controls the API shows and changes: rules, trading mode, kill switch, limits,
and the audit trail. Bodies refuse unknown fields; decimals travel as plain strings."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from services.api_gateway.trading_schemas import SYMBOL_INPUT_REGEX
from shared.db.models.exchange_keys import Venue
from shared.db.repositories.kill_switches import KillState
from shared.db.repositories.risk_accounts import RiskAccount
from shared.db.repositories.risk_audit import AuditEntry, jsonable
from shared.db.repositories.rules import RuleRecord, RuleStatus
from shared.domain.enums import KillScope, TradingMode
from shared.domain.risk_limits import Limits
from shared.messages.base import plain_decimal

_NOW = "2026-11-28T10:00:00Z"


class RulePublic(BaseModel):
    """A standing rule: the conditional order it places (``definition``) and where it stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "0b7e8f5a-1c2d-4e3f-9a8b-7c6d5e4f3a2b", "venue": "paper", "symbol": "BTC/USDT",
                "definition": {
                    "kind": "conditional_order", "side": "buy", "symbol": "BTC/USDT", "amount": "0.5",
                },
                "status": "active", "fire_once": True, "fires": 0, "last_fired_at": None,
                "last_intent_id": None, "created_at": _NOW, "updated_at": _NOW,
            }
        }
    )  # fmt: skip

    id: UUID
    venue: str
    symbol: str
    definition: dict[str, Any]
    status: RuleStatus
    fire_once: bool
    fires: int
    last_fired_at: datetime | None
    last_intent_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: RuleRecord) -> RulePublic:
        return cls(**{f.name: getattr(rule, f.name) for f in dataclasses.fields(rule) if f.name != "user_id"})


class RuleCreate(BaseModel):
    """A standing rule: the conditional order (as ``cryptopulse parse`` prints it) to place when
    every condition holds."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "definition": {
                        "kind": "conditional_order", "side": "buy", "symbol": "BTC/USDT",
                        "order_type": "market", "amount": "0.5",
                        "conditions": [
                            {"indicator": "price", "symbol": "BTC/USDT", "op": "<", "value": "30000"}
                        ],
                    },
                    "venue": "paper",
                    "fire_once": True,
                }
            ]
        },
    )  # fmt: skip

    definition: dict[str, Any] = Field(
        description="The conditional order, validated as the rules engine loads it."
    )
    venue: Venue = "paper"
    fire_once: bool = Field(
        True, strict=True, description="false: fire again whenever the conditions hold anew."
    )


class ModePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"mode": "manual", "reduce_only": False, "reduce_only_since": None, "updated_at": _NOW}
        }
    )

    mode: TradingMode = Field(
        description="manual: every order needs approval; autonomous: checks alone decide."
    )
    reduce_only: bool = Field(description="Set by the gate when the daily loss limit is hit.")
    reduce_only_since: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, account: RiskAccount) -> ModePublic:
        return cls(
            mode=account.mode,
            reduce_only=account.reduce_only,
            reduce_only_since=account.reduce_only_since,
            updated_at=account.updated_at,
        )


class ModePut(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"mode": "autonomous", "confirm": True}]}
    )

    mode: TradingMode
    confirm: bool = Field(False, strict=True, description="Must be true to turn autonomous mode on.")


class ModeRequested(BaseModel):
    """Accepted for the risk gate, which applies (and audits) the change."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "mode": "autonomous",
                "confirm": True,
                "message_id": "c4d3a1f0-8e2b-4f6a-9d5c-1b0e7a3f2d4c",
            }
        }
    )

    mode: TradingMode
    confirm: bool
    message_id: str


class KillSwitchPublic(BaseModel):
    """One switch; ``actor`` engaged it, or released it when it is off."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "scope": "user",
                "engaged": True,
                "reason": "market looks wrong",
                "actor": "user:0b7e8f5a-1c2d-4e3f-9a8b-7c6d5e4f3a2b",
                "engaged_at": _NOW,
            }
        }
    )

    scope: KillScope
    engaged: bool
    reason: str
    actor: str
    engaged_at: datetime | None

    @classmethod
    def of(cls, state: KillState) -> KillSwitchPublic:
        return cls(
            scope=state.scope,
            engaged=state.engaged,
            reason=state.reason,
            actor=state.actor,
            engaged_at=state.engaged_at,
        )


class KillSwitchesPublic(BaseModel):
    """The caller's switch and the global one; null for a switch never pressed. Trading stops
    for the caller when either is engaged."""

    model_config = ConfigDict(populate_by_name=True)

    user: KillSwitchPublic | None
    global_: KillSwitchPublic | None = Field(alias="global")
    stopped: bool = Field(description="Whether either switch is engaged.")


class KillSwitchPost(BaseModel):
    """Engage or release a switch: the caller's own, or (admins only) the global one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"engaged": True, "reason": "something is off, stop everything"},
                {"engaged": False},
                {"engaged": True, "reason": "exchange incident", "scope": "global"},
            ]
        },
    )

    engaged: bool = Field(strict=True, description="true engages, false releases (JSON booleans only).")
    reason: str = Field("", max_length=500, description="Why: required to engage.")
    scope: KillScope = KillScope.USER

    @model_validator(mode="after")
    def _engaging_says_why(self) -> KillSwitchPost:
        if self.engaged and not self.reason.strip():
            raise ValueError("engaging a kill switch needs a reason")
        return self


class KillSwitchChanged(BaseModel):
    """The switch as stored; ``notified`` says whether every service was told over NATS at once
    (when not, they read the stored flag within seconds anyway)."""

    switch: KillSwitchPublic
    notified: bool


Amount = Annotated[
    Decimal, Field(gt=0, allow_inf_nan=False, max_digits=38, decimal_places=18, examples=["25000"])
]
Percent = Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False, decimal_places=18, examples=["5"])]
Seconds = Annotated[int, Field(ge=1, le=7 * 24 * 3600)]
Count = Annotated[int, Field(ge=1, le=1_000_000)]
MAX_SYMBOLS = 500
SymbolInput = Annotated[str, Field(pattern=SYMBOL_INPUT_REGEX)]
Unset = SkipJsonSchema[None]
"""Absent means unchanged; the schema offers no null, and a null sent anyway is refused by name."""


class LimitsPublic(BaseModel):
    """A user's risk limits (the defaults until they change one)."""

    model_config = ConfigDict(json_schema_extra={"example": jsonable(dataclasses.asdict(Limits()))})

    allowed_symbols: list[str] | None = Field(description="null: every symbol the venue trades.")
    max_order_notional: str
    max_order_quantity: str | None
    max_position_notional: str
    max_total_exposure: str
    max_open_orders: int
    max_intents_per_minute: int
    max_orders_per_minute: int
    price_collar_pct: str
    cumulative_collar_pct: str
    collar_window_s: int
    reference_max_age_s: int
    rule_max_executions: int
    rule_window_s: int
    daily_loss_limit: str
    duplicate_window_s: int
    approval_ttl_s: int
    approval_max_move_pct: str

    @classmethod
    def of(cls, limits: Limits) -> LimitsPublic:
        values = {
            name: plain_decimal(value) if isinstance(value, Decimal) else value
            for name, value in dataclasses.asdict(limits).items()
        }
        if limits.allowed_symbols is not None:
            values["allowed_symbols"] = sorted(limits.allowed_symbols)
        return cls(**values)


class LimitsPatch(BaseModel):
    """The limits to change; the others keep their values. Amounts as decimal strings; null only
    for the two optional limits (``allowed_symbols``, ``max_order_quantity``), which it clears."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"max_order_notional": "1000", "max_open_orders": 10}]},
    )

    allowed_symbols: list[Annotated[str, Field(pattern=SYMBOL_INPUT_REGEX)]] | None = Field(
        None, max_length=MAX_SYMBOLS
    )
    max_order_notional: Amount | Unset = None
    max_order_quantity: Amount | None = None
    max_position_notional: Amount | Unset = None
    max_total_exposure: Amount | Unset = None
    max_open_orders: Count | Unset = None
    max_intents_per_minute: Count | Unset = None
    max_orders_per_minute: Count | Unset = None
    price_collar_pct: Percent | Unset = None
    cumulative_collar_pct: Percent | Unset = None
    collar_window_s: Seconds | Unset = None
    reference_max_age_s: Seconds | Unset = None
    rule_max_executions: Count | Unset = None
    rule_window_s: Seconds | Unset = None
    daily_loss_limit: Amount | Unset = None
    duplicate_window_s: Seconds | Unset = None
    approval_ttl_s: Seconds | Unset = None
    approval_max_move_pct: Percent | Unset = None

    def changes(self) -> dict[str, object]:
        """The fields the body named, null included (null clears the two optional limits)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 42, "actor": "user:0b7e8f5a-1c2d-4e3f-9a8b-7c6d5e4f3a2b", "action": "risk_limits.set",
                "details": {"changes": {"max_open_orders": {"old": 50, "new": 10}}}, "created_at": _NOW,
            }
        }
    )  # fmt: skip

    id: int
    actor: str
    action: str
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            id=entry.id, actor=entry.actor, action=entry.action, details=dict(entry.details),
            created_at=entry.created_at,
        )  # fmt: skip


__all__ = [
    "AuditEntryPublic",
    "KillSwitchChanged",
    "KillSwitchPost",
    "KillSwitchPublic",
    "KillSwitchesPublic",
    "LimitsPatch",
    "LimitsPublic",
    "ModePublic",
    "ModePut",
    "ModeRequested",
    "RuleCreate",
    "RulePublic",
]
