"""Verify access tokens signed with asymmetric keys published as a JWKS (Supabase's signing keys).

A Supabase project with asymmetric JWT signing keys publishes its public keys at
``/auth/v1/.well-known/jwks.json``; each token names its key by ``kid``. The keys are fetched
and cached here; an unknown ``kid`` (a rotation) triggers one early refetch, at most once per
``min_refetch`` so made-up ``kid``s cannot turn the gateway into a request loop.

The algorithm is the key's, never the token's choice: a key says (``alg``) or implies (``kty``,
``crv``) one algorithm, only RS256 and ES256 keys are taken, and a token must carry exactly its
key's algorithm. Symmetric (``oct``) keys in a key set are ignored: a public key set holding a
shared secret would let anyone who read it sign tokens.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import jwt

from shared.auth.tokens import DEFAULT_AUDIENCE, Claims, TokenError, decode_checked, unverified_header

JWKS_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
MAX_KID_CHARS = 64

_log = logging.getLogger(__name__)


class SigningKeysUnavailable(TokenError):
    """The key set could not be fetched: the server's problem, not the token's."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    algorithm: str
    key: Any
    """The public key object PyJWT verifies with."""


def parse_key_set(document: object) -> dict[str, SigningKey]:
    """Return the usable signing keys of a JWKS document by ``kid``; skip (and log) the rest."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("expected a JWKS document: an object with a 'keys' list")
    keys: dict[str, SigningKey] = {}
    for entry in document["keys"]:
        kid = entry.get("kid") if isinstance(entry, Mapping) else None
        if not isinstance(kid, str) or not kid:
            _log.warning("JWKS key without a kid skipped")
            continue
        if entry.get("kty") == "oct" or entry.get("use", "sig") != "sig":
            _log.warning("JWKS key not for signatures skipped", extra={"kid": kid[:MAX_KID_CHARS]})
            continue
        try:
            parsed = jwt.PyJWK(dict(entry))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as e:
            _log.warning("JWKS key unusable", extra={"kid": kid[:MAX_KID_CHARS], "reason": str(e)})
            continue
        if parsed.algorithm_name not in JWKS_ALGORITHMS:
            _log.warning(
                "JWKS key with an unsupported algorithm skipped",
                extra={"kid": kid[:MAX_KID_CHARS], "alg": parsed.algorithm_name},
            )
            continue
        keys[kid] = SigningKey(kid, parsed.algorithm_name, parsed.key)
    return keys


class JwksVerifier:
    """Checks access tokens against the keys published at ``url``; build one per app."""

    def __init__(
        self,
        url: str,
        *,
        audience: str = DEFAULT_AUDIENCE,
        cache_ttl: timedelta = timedelta(minutes=10),
        min_refetch: timedelta = timedelta(seconds=30),
        leeway: timedelta = timedelta(0),
        timeout_s: float = 5.0,
    ) -> None:
        self._url = url
        self._audience = audience
        self._cache_ttl = cache_ttl.total_seconds()
        self._min_refetch = min_refetch.total_seconds()
        self._leeway = leeway
        self._timeout_s = timeout_s
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"JwksVerifier(url={self._url!r}, audience={self._audience!r})"

    async def verify(self, token: str) -> Claims:
        """Return the token's claims; raise ``TokenError`` saying why it is refused."""
        header = unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in JWKS_ALGORITHMS:
            raise TokenError(f"expected alg {' or '.join(JWKS_ALGORITHMS)}, was {alg!r}")
        if not isinstance(kid, str) or not kid:
            raise TokenError("expected a 'kid' header naming the signing key")
        key = await self._key(kid)
        if key.algorithm != alg:
            raise TokenError(f"expected alg {key.algorithm} for key {kid!r}, was {alg!r}")
        return decode_checked(token, key.key, key.algorithm, audience=self._audience, leeway=self._leeway)

    async def _key(self, kid: str) -> SigningKey:
        if self._age() > self._cache_ttl or (kid not in self._keys and self._age() > self._min_refetch):
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise TokenError(f"no signing key {kid[:MAX_KID_CHARS]!r}")
        return key

    def _age(self) -> float:
        return float("inf") if self._fetched_at is None else time.monotonic() - self._fetched_at

    async def _refresh(self) -> None:
        async with self._lock:
            if self._fetched_at is not None and self._age() < min(self._min_refetch, self._cache_ttl):
                return  # another request refreshed while this one waited
            try:
                async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client:
                    response = await client.get(self._url, headers={"Accept": "application/json"})
                    response.raise_for_status()
                    keys = parse_key_set(response.json())
            except (httpx.HTTPError, ValueError) as e:
                _log.warning("JWKS not fetched", extra={"url": self._url, "reason": str(e)})
                if self._fetched_at is None:
                    raise SigningKeysUnavailable("signing keys unavailable") from None
                # Keep the keys we have (a rotation is rare, an outage not), and retry later.
                self._fetched_at = time.monotonic()
                return
            self._keys, self._fetched_at = keys, time.monotonic()
            _log.info("JWKS fetched", extra={"url": self._url, "kids": sorted(keys)})


__all__ = ["JWKS_ALGORITHMS", "JwksVerifier", "SigningKey", "SigningKeysUnavailable", "parse_key_set"]
