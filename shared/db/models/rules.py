"""Standing rules and their firings. Owned by: agent (the rules engine); users manage their own
rules through the gateway (RLS, column grants), the engine alone counts firings.

``rule_firings`` is the engine's outbox: a firing's row and the rule's ``fired`` status commit
together, and the row keeps the exact intent message until JetStream has acknowledged it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class RuleRow(Base):
    """One standing rule: the parser's ``OrderCommand`` as JSON and where it stands."""

    __tablename__ = "rules"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paused', 'fired', 'deleted')", name="status_known"),
        CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="venue_known"),
        CheckConstraint("fires >= 0", name="fires_non_negative"),
        Index("ix_rules_active_venue_symbol", "venue", "symbol", postgresql_where=text("status = 'active'")),
        Index("ix_rules_venue_updated_at", "venue", "updated_at"),
        Index("ix_rules_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), server_default=text("auth.uid()")
    )
    venue: Mapped[str] = mapped_column(Text, server_default=text("'paper'"))
    symbol: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default=text("'active'"))
    fire_once: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    fires: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_fired_at: Mapped[datetime | None] = mapped_column()
    last_intent_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    """Stamped by a trigger on every update: the engine reloads what changed since it last looked."""


class RuleFiring(Base):
    """One firing of a rule and the intent it produced; ``published_at`` null means in the outbox."""

    __tablename__ = "rule_firings"
    __table_args__ = (
        UniqueConstraint("rule_id", "seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_rule_firings_outbox", "created_at", postgresql_where=text("published_at IS NULL")),
    )

    intent_id: Mapped[str] = mapped_column(Text, primary_key=True)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    """The intent's JSON exactly as first published, so a republish is byte-identical."""
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column()
