"""Users' choice of model provider, and their own provider's key stored only encrypted. Owned by:
api_gateway (writes, as ``service_role`` with an audit entry); agent reads the choice as the user.

User-owned under RLS. ``authenticated`` may select every column but the key's ciphertext (column
grants, as for exchange keys), so the web app and a user's own session learn whether a key is
stored (``own_key_id``), never the key. Only ``service_role`` reads the ciphertext, and opening it
needs Vault or the master key file, neither of which is in the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class ModelPreference(Base):
    """One user's model choice and, optionally, their own OpenAI-compatible provider.

    ``own_key_id`` is new for every stored key: the ciphertext is bound to it (``SecretBinding``),
    and the agent caches a user's client by it, so a replaced key is never served from a cache.
    """

    __tablename__ = "model_preferences"
    __table_args__ = (
        CheckConstraint("length(choice) BETWEEN 1 AND 40", name="choice_length"),
        CheckConstraint(
            "own_preset IS NULL OR own_preset IN ('openai', 'gemini', 'openrouter', 'ollama', 'custom')",
            name="own_preset_known",
        ),
        CheckConstraint("(own_preset IS NULL) = (own_model IS NULL)", name="own_preset_with_model"),
        CheckConstraint("own_base_url IS NULL OR own_preset IS NOT NULL", name="own_base_url_with_preset"),
        CheckConstraint(
            "(own_key_id IS NULL) = (own_key_ciphertext IS NULL) AND (own_key_id IS NULL) = "
            "(own_key_cipher IS NULL) AND (own_key_id IS NULL) = (own_key_version IS NULL)",
            name="own_key_complete",
        ),
        CheckConstraint("own_key_id IS NULL OR own_preset IS NOT NULL", name="own_key_with_preset"),
        CheckConstraint("choice <> 'own' OR own_preset IS NOT NULL", name="own_choice_with_preset"),
        CheckConstraint(
            "own_key_cipher IS NULL OR own_key_cipher IN ('vault', 'envelope')", name="own_key_cipher_known"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, server_default=text("auth.uid()")
    )
    choice: Mapped[str] = mapped_column(Text, server_default=text("'auto'"))
    own_preset: Mapped[str | None] = mapped_column(Text)
    own_model: Mapped[str | None] = mapped_column(Text)
    own_base_url: Mapped[str | None] = mapped_column(Text)
    own_key_id: Mapped[uuid.UUID | None] = mapped_column()
    own_key_ciphertext: Mapped[str | None] = mapped_column(Text)
    own_key_cipher: Mapped[str | None] = mapped_column(Text)
    own_key_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


PUBLIC_COLUMNS: tuple[str, ...] = (
    "user_id",
    "choice",
    "own_preset",
    "own_model",
    "own_base_url",
    "own_key_id",
    "updated_at",
)
"""The only columns ``authenticated`` may select (the migration grants exactly these)."""
