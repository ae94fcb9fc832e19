"""The risk gate's tables. Owned by: risk_gate (the executor reads ``kill_switches`` and settles
``intents``). Users read their own rows only; every write goes through ``service_role``.

``risk_accounts`` doubles as the per-user lock: the gate decides under ``SELECT … FOR UPDATE`` on
the user's row, so two gate replicas never both spend the same headroom.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.domain.enums import DecisionOutcome

NO_USER = uuid.UUID(int=0)
"""Stands in for the global switch's missing ``user_id`` in the unique index."""
_STATUS_SQL = ", ".join(f"'{status}'" for status in DecisionOutcome)
_USER_FK = "users.id"


class KillSwitch(Base):
    """One switch: the global one (``user_id`` null) or one user's. Released only explicitly."""

    __tablename__ = "kill_switches"
    __table_args__ = (
        CheckConstraint("scope IN ('global', 'user')", name="scope_known"),
        CheckConstraint("(scope = 'global') = (user_id IS NULL)", name="user_iff_user_scope"),
        Index(
            "uq_kill_switches_scope_user",
            "scope",
            text(f"coalesce(user_id, '{NO_USER}'::uuid)"),
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    scope: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"))
    engaged: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    engaged_by: Mapped[str | None] = mapped_column(Text)
    engaged_at: Mapped[datetime | None] = mapped_column()
    released_by: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RiskLimitsRow(Base):
    """One user's limits, one column per ``Limits`` field; no row means the defaults."""

    __tablename__ = "risk_limits"
    __table_args__ = (
        CheckConstraint(
            "max_order_notional > 0 AND coalesce(max_order_quantity, 1) > 0"
            " AND max_position_notional > 0 AND max_total_exposure > 0 AND daily_loss_limit > 0"
            " AND max_open_orders > 0 AND max_intents_per_minute > 0 AND max_orders_per_minute > 0"
            " AND collar_window_s > 0 AND reference_max_age_s > 0 AND rule_max_executions > 0"
            " AND rule_window_s > 0 AND duplicate_window_s > 0 AND approval_ttl_s > 0",
            name="positive",
        ),
        CheckConstraint(
            "price_collar_pct > 0 AND price_collar_pct <= 100"
            " AND cumulative_collar_pct > 0 AND cumulative_collar_pct <= 100"
            " AND approval_max_move_pct > 0 AND approval_max_move_pct <= 100",
            name="percentages",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    allowed_symbols: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    max_order_notional: Mapped[Decimal] = mapped_column()
    max_order_quantity: Mapped[Decimal | None] = mapped_column()
    max_position_notional: Mapped[Decimal] = mapped_column()
    max_total_exposure: Mapped[Decimal] = mapped_column()
    max_open_orders: Mapped[int] = mapped_column(Integer)
    max_intents_per_minute: Mapped[int] = mapped_column(Integer)
    max_orders_per_minute: Mapped[int] = mapped_column(Integer)
    price_collar_pct: Mapped[Decimal] = mapped_column()
    cumulative_collar_pct: Mapped[Decimal] = mapped_column()
    collar_window_s: Mapped[int] = mapped_column(Integer)
    reference_max_age_s: Mapped[int] = mapped_column(Integer)
    rule_max_executions: Mapped[int] = mapped_column(Integer)
    rule_window_s: Mapped[int] = mapped_column(Integer)
    daily_loss_limit: Mapped[Decimal] = mapped_column()
    duplicate_window_s: Mapped[int] = mapped_column(Integer)
    approval_ttl_s: Mapped[int] = mapped_column(Integer)
    approval_max_move_pct: Mapped[Decimal] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RiskAccountRow(Base):
    """A user's trading mode, reduce-only flag and the day's equity high-water mark; the lock row."""

    __tablename__ = "risk_accounts"
    __table_args__ = (CheckConstraint("mode IN ('manual', 'autonomous')", name="mode_known"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(Text, server_default=text("'manual'"))
    reduce_only: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    reduce_only_since: Mapped[datetime | None] = mapped_column()
    day: Mapped[date | None] = mapped_column(Date)
    day_high_water: Mapped[Decimal | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IntentRow(Base):
    """Every intent the gate saw and what became of it; ``status = 'pending'`` is the approval queue.

    The primary key on ``intent_id`` is what refuses a replayed intent, whichever replica sees it.
    """

    __tablename__ = "intents"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="venue_known"),
        CheckConstraint("side IN ('buy', 'sell')", name="side_known"),
        CheckConstraint("order_type IN ('market', 'limit')", name="order_type_known"),
        CheckConstraint("source IN ('parser', 'model', 'rule')", name="source_known"),
        CheckConstraint("quantity IS NOT NULL OR quote_quantity IS NOT NULL", name="has_quantity"),
        Index("ix_intents_pending_expires_at", "expires_at", postgresql_where=text("status = 'pending'")),
        Index("ix_intents_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_intents_rule_id_decided_at",
            "rule_id",
            "decided_at",
            postgresql_where=text("rule_id IS NOT NULL"),
        ),
        Index(
            "ix_intents_approved_user_id_decided_at",
            "user_id",
            "decided_at",
            postgresql_where=text("status = 'approved'"),
        ),
        Index(
            "ix_intents_in_flight",
            "user_id",
            "venue",
            postgresql_where=text("status = 'approved' AND NOT settled"),
        ),
        Index("ix_intents_outbox", "created_at", postgresql_where=text("published IS DISTINCT FROM status")),
    )

    intent_id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"))
    correlation_id: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)
    order_type: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal | None] = mapped_column()
    quote_quantity: Mapped[Decimal | None] = mapped_column()
    limit_price: Mapped[Decimal | None] = mapped_column()
    digest: Mapped[str] = mapped_column(CHAR(64))
    reference_price: Mapped[Decimal | None] = mapped_column()
    status: Mapped[str] = mapped_column(Text)
    check_name: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    client_order_id: Mapped[str | None] = mapped_column(Text)
    settled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    published: Mapped[str | None] = mapped_column(Text)
    """The status whose messages (decision, and for approval the order command) JetStream has
    acknowledged; a row where it differs from ``status`` is in the gate's outbox."""


class DisabledRule(Base):
    """A rule the gate stopped (or a person paused); history is kept, one current row per rule."""

    __tablename__ = "disabled_rules"
    __table_args__ = (
        Index(
            "uq_disabled_rules_user_id_rule_id_current",
            "user_id",
            "rule_id",
            unique=True,
            postgresql_where=text("re_enabled_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(Text)
    disabled_at: Mapped[datetime] = mapped_column(server_default=func.now())
    reason: Mapped[str] = mapped_column(Text)
    re_enabled_at: Mapped[datetime | None] = mapped_column()


class RiskAuditEntry(Base):
    """One audited action (append-only; the database refuses updates and deletes).

    ``user_id`` has no foreign key so the trail outlives the user; null means a global action.
    """

    __tablename__ = "risk_audit"
    __table_args__ = (Index("ix_risk_audit_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
