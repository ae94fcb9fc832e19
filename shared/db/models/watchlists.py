"""Symbols a user follows. Owned by: api_gateway. Others read-only.

The smallest user-owned table: later per-user tables copy its shape (``user_id`` defaulting to
``auth.uid()``, RLS forced, one policy per command).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class UserWatchlist(Base):
    """One followed symbol of one user."""

    __tablename__ = "user_watchlists"
    __table_args__ = (UniqueConstraint("user_id", "symbol"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), server_default=text("auth.uid()")
    )
    symbol: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
