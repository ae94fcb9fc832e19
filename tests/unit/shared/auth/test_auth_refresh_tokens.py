"""Refresh tokens: 256 random bits for the client, only their SHA-256 for the database."""

from __future__ import annotations

import base64
import hashlib

from shared.auth.refresh_tokens import MAX_TOKEN_CHARS, TOKEN_BYTES, digest_of, new_refresh_token


def test_a_token_carries_256_random_bits_and_its_digest_is_its_sha256() -> None:
    token, digest = new_refresh_token()

    assert len(base64.urlsafe_b64decode(token + "=")) == TOKEN_BYTES == 32
    assert digest == hashlib.sha256(token.encode()).digest() == digest_of(token)
    assert len(token) <= MAX_TOKEN_CHARS


def test_no_two_tokens_are_alike() -> None:
    tokens = {new_refresh_token()[0] for _ in range(1000)}

    assert len(tokens) == 1000
