"""Passwords of local accounts: the policy a new one must meet, and argon2id hashing.

Hashing is argon2id through argon2-cffi's ``PasswordHasher`` (RFC 9106 parameters by default).
A stored hash carries its own parameters, so a login with a hash made under older parameters
still verifies, and ``needs_rehash`` tells the caller to store a fresh one: raising the cost
takes effect as users sign in, without a migration.

A hash costs tens of milliseconds of CPU on purpose; the async helpers run it in a worker thread
so the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 128
"""Bounds the hashing work a request can ask for; UTF-8 bytes, so no emoji trick gets past it."""


class PasswordPolicyError(ValueError):
    """A new password the policy refuses; the message never quotes the password."""


def check_password(password: str, email: str | None = None) -> str:
    """Return ``password`` when it may be set; raise ``PasswordPolicyError`` saying why not.

    At least 10 characters, at most 128 bytes in UTF-8, and not the account's e-mail address.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordPolicyError(
            f"expected a password of at least {MIN_PASSWORD_CHARS} characters, was {len(password)}"
        )
    size = len(password.encode())
    if size > MAX_PASSWORD_BYTES:
        raise PasswordPolicyError(f"expected a password of at most {MAX_PASSWORD_BYTES} bytes, was {size}")
    if email is not None and password.strip().lower() == email.strip().lower():
        raise PasswordPolicyError("expected a password other than the e-mail address")
    return password


class PasswordHashing:
    """Hashes and verifies passwords with argon2id; build one per process (it keeps a dummy hash).

    ``verify_nobody`` spends the time a real verification would, for a login naming no account,
    so response times do not tell which addresses are registered.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def __repr__(self) -> str:
        h = self._hasher
        return (
            f"PasswordHashing(time_cost={h.time_cost}, memory_kib={h.memory_cost}, "
            f"parallelism={h.parallelism})"
        )

    def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password`` (salted: never the same twice)."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Return whether ``password`` matches; a malformed stored hash matches nothing."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Return whether ``password_hash`` was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def verify_nobody(self, password: str) -> bool:
        """Verify against a hash of a random password: the same work, and always ``False``."""
        self.verify(self._dummy_hash, password)
        return False

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        """``verify``, or ``verify_nobody`` when there is no hash, off the event loop."""
        if password_hash is None:
            return await asyncio.to_thread(self.verify_nobody, password)
        return await asyncio.to_thread(self.verify, password_hash, password)


__all__ = [
    "MAX_PASSWORD_BYTES",
    "MIN_PASSWORD_CHARS",
    "PasswordHashing",
    "PasswordPolicyError",
    "check_password",
]
