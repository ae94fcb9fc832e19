"""Users' exchange API keys, stored only encrypted. Owned by: api_gateway and the ``cryptopulse keys``
CLI (add, rotate, delete, list); executor reads them (as ``service_role``) to sign orders.

User-owned under RLS, and the ciphertext columns are not even selectable by ``authenticated``
(column grants): the web app and a user's own session can list a key's label and a 4-character
hint, never its ciphertext. Only ``service_role`` reads ciphertexts, and decrypting them needs a
key that is not in the database at all (Vault transit, or the master key file).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

Venue = Literal["paper", "testnet", "live"]
VENUES: tuple[Venue, ...] = ("paper", "testnet", "live")


class ExchangeKey(Base):
    """One labelled API key pair of one user on one venue.

    ``cipher`` and ``key_version`` say which cipher and which key version made the ciphertexts,
    so a master-key or Vault-key rotation can find and rewrap the rows still on an old version.
    ``rotated_at`` is when the user last replaced the key pair (not a rewrap).
    """

    __tablename__ = "exchange_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "venue", "label"),
        CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="venue_known"),
        CheckConstraint("cipher IN ('vault', 'envelope')", name="cipher_known"),
        CheckConstraint("length(label) BETWEEN 1 AND 64", name="label_length"),
        # A hint, not a leak: at most the last four characters of the API key (never the secret).
        CheckConstraint("length(api_key_hint) <= 4", name="hint_short"),
        CheckConstraint("key_version >= 1", name="key_version_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), server_default=text("auth.uid()")
    )
    venue: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    api_key_hint: Mapped[str] = mapped_column(Text)
    api_key_ciphertext: Mapped[str] = mapped_column(Text)
    api_secret_ciphertext: Mapped[str] = mapped_column(Text)
    cipher: Mapped[str] = mapped_column(Text)
    key_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rotated_at: Mapped[datetime | None] = mapped_column()


PUBLIC_COLUMNS: tuple[str, ...] = ("id", "venue", "label", "api_key_hint", "created_at", "rotated_at")
"""The only columns ``authenticated`` may select (the migration grants exactly these)."""
