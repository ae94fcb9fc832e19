"""Verified access tokens remembered until they expire, so a client's every request does not pay
for the same signature check again.

Sound because access tokens are stateless JWTs here: nothing revokes one before its ``exp``
(signing out revokes the *refresh* token; the access token lapses on its own within its short
lifetime), so a token that verified once verifies the same way until then, and the claims are
the token's own. An entry is kept until the token's ``exp`` and never beyond it; an expired entry
is dropped and the token checked again (and refused). Only successes are remembered: a refused
token is checked every time. Entries are keyed by the SHA-256 of the token, so the cache holds no
bearer credential, and bounded: the least recently used goes first. One caveat, accepted: a key
removed from the identity provider's key set mid-lifetime still admits tokens it signed that were
verified before, until they expire, as any cache of the key set would.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from shared.auth.tokens import Claims

DEFAULT_ENTRIES = 10_000
"""Far more than the signed-in users one gateway serves at once; a few megabytes at most."""


class Verifier(Protocol):
    async def verify(self, token: str) -> Claims: ...


class CachedVerifier:
    """A verifier that remembers each verified token's claims until the token's ``exp``."""

    def __init__(
        self,
        verifier: Verifier,
        *,
        entries: int = DEFAULT_ENTRIES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if entries < 1:
            raise ValueError(f"expected a positive number of entries, was {entries}")
        self._verifier = verifier
        self._entries = entries
        self._clock = clock
        self._claims: OrderedDict[bytes, Claims] = OrderedDict()

    def __repr__(self) -> str:
        return f"CachedVerifier({self._verifier!r}, entries={self._entries})"

    def __len__(self) -> int:
        return len(self._claims)

    async def verify(self, token: str) -> Claims:
        """Return the token's claims; raise ``TokenError`` saying why it is refused."""
        key = hashlib.sha256(token.encode()).digest()
        claims = self._claims.get(key)
        now = self._clock()
        if claims is not None:
            if now < claims.exp:
                self._claims.move_to_end(key)
                return claims
            del self._claims[key]
        claims = await self._verifier.verify(token)
        if now < claims.exp:
            self._claims[key] = claims
            if len(self._claims) > self._entries:
                self._claims.popitem(last=False)
        return claims


__all__ = ["DEFAULT_ENTRIES", "CachedVerifier", "Verifier"]
