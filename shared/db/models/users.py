"""People who sign in. Owned by: api_gateway (sign-up and profile). Others read-only.

User-owned under RLS: a user sees and updates only their own row, and may change only
``display_name`` (column grant), so nobody can promote themselves to ``admin``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

UserRole = Literal["user", "admin"]


class User(Base):
    """A person; ``id`` is the JWT ``sub`` (the Supabase ``auth.users`` id when on Supabase)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email"),
        # Lowercased text rather than citext: no extension to install, and the unique
        # constraint then compares addresses case-insensitively.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('user', 'admin')", name="role_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    email: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, server_default=text("'user'"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
