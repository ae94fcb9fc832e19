"""Refresh tokens: 256 random bits, handed to the client once and stored only as their SHA-256.

A token with 256 bits of entropy cannot be guessed, so a fast hash is enough (a slow one protects
guessable passwords); the database alone then gives nobody a usable token.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 128
"""Longer than any token issued here (43 characters); anything longer is not one of ours."""


def new_refresh_token() -> tuple[str, bytes]:
    """Return a fresh token (URL-safe text for the client) and the digest to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest_of(token)


def digest_of(token: str) -> bytes:
    """Return the SHA-256 of ``token``, the only form the database keeps."""
    return hashlib.sha256(token.encode()).digest()


__all__ = ["MAX_TOKEN_CHARS", "TOKEN_BYTES", "digest_of", "new_refresh_token"]
