"""One verifier for every access token the gateway accepts: HS256 (local sign-in, or Supabase's
legacy secret) and, when configured, a JWKS (Supabase's asymmetric signing keys).

The token's ``alg`` only routes it to a verifier; each verifier then pins its own algorithms,
so ``none`` and any algorithm not configured are refused up front with a plain reason.
"""

from __future__ import annotations

from shared.auth.jwks import JWKS_ALGORITHMS, JwksVerifier
from shared.auth.tokens import ALGORITHM, Claims, TokenError, TokenVerifier, unverified_header


class AccessTokenVerifier:
    """Routes a token by its ``alg`` to the secret or the key set; at least one is required."""

    def __init__(self, secret: TokenVerifier | None = None, jwks: JwksVerifier | None = None) -> None:
        if secret is None and jwks is None:
            raise ValueError("expected a JWT secret, a JWKS URL, or both")
        self._secret = secret
        self._jwks = jwks

    def __repr__(self) -> str:
        return f"AccessTokenVerifier(secret={self._secret!r}, jwks={self._jwks!r})"

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms accepted, in the order the refusal message names them."""
        return ((ALGORITHM,) if self._secret else ()) + (JWKS_ALGORITHMS if self._jwks else ())

    async def verify(self, token: str) -> Claims:
        """Return the token's claims; raise ``TokenError`` saying why it is refused."""
        alg = unverified_header(token).get("alg")
        if alg == ALGORITHM and self._secret is not None:
            return self._secret.verify(token)
        if alg in JWKS_ALGORITHMS and self._jwks is not None:
            return await self._jwks.verify(token)
        raise TokenError(f"expected alg {' or '.join(self.algorithms)}, was {alg!r}")


__all__ = ["AccessTokenVerifier"]
