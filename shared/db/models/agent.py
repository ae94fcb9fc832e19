"""The copilot's daily token usage per user. Owned by: agent. Users read their own rows (RLS).

Conversation memory lives beside it in the ``agent_memory`` schema (migration 0007), in tables
that belong to LangGraph's checkpointer and are therefore not mapped here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class AgentTokenUsage(Base):
    """Model tokens one user spent on one UTC day, summed by every agent replica."""

    __tablename__ = "agent_token_usage"
    __table_args__ = (CheckConstraint("tokens >= 0", name="tokens_non_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tokens: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
