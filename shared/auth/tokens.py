"""Verify (and issue) Supabase-shaped access tokens: HS256 JWTs signed with one shared secret.

Supabase signs every user's access token with the project's JWT secret, so the gateway can check
a token without calling anyone. The shape is Supabase's: ``sub`` (the user's UUID), ``role``
(``authenticated``), ``aud`` (``authenticated``), ``exp``. The only algorithm accepted is HS256,
pinned here and never read from the token, so ``alg: none`` and algorithm-confusion tokens are
refused before any claim is looked at.

The app-level role (user or admin) comes from ``app_metadata.role``: Supabase puts
``app_metadata`` in every access token and lets only the service role write it, whereas
``user_metadata`` is editable by the user and must never grant anything. No claim means ``user``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

ALGORITHM = "HS256"
"""The one algorithm signed and accepted; Supabase's legacy JWT secret signs with it."""
MIN_SECRET_BYTES = 32
"""RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits)."""
USER_ROLE = "authenticated"
"""The database role of a signed-in user's token (Supabase's ``role`` claim)."""
DEFAULT_AUDIENCE = "authenticated"

AppRole = Literal["user", "admin"]


class TokenError(Exception):
    """A refused token. ``reason`` is short, names no secret and is safe to tell the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Claims(BaseModel):
    """What a verified token says about its bearer: ``sub`` is its ``users.id``; ``app_role`` is
    ``app_metadata.role`` (``user`` when absent)."""

    model_config = ConfigDict(frozen=True)

    sub: uuid.UUID
    role: Literal["authenticated"]
    aud: str
    exp: datetime
    app_role: AppRole = "user"
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.app_role == "admin"


def check_secret(secret: SecretStr) -> bytes:
    """Return the secret's bytes; raise ``ValueError`` when it is too short to sign HS256 safely."""
    key = secret.get_secret_value().encode()
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"expected a JWT secret of at least {MIN_SECRET_BYTES} bytes, was {len(key)}")
    return key


def _app_role(payload: Mapping[str, Any]) -> object:
    metadata = payload.get("app_metadata")
    if metadata is None:
        return "user"
    if not isinstance(metadata, Mapping):
        raise TokenError("expected 'app_metadata' to be an object")
    return metadata.get("role", "user")


def _claims_of(payload: Mapping[str, Any]) -> Claims:
    # PyJWT has checked signature, exp, aud and presence; these are the shape checks it cannot do.
    role = payload.get("role")
    if role != USER_ROLE:
        raise TokenError(f"expected role {USER_ROLE!r}, was {role!r}")
    app_role = _app_role(payload)
    if app_role not in ("user", "admin"):
        raise TokenError(f"expected app_metadata.role 'user' or 'admin', was {app_role!r}")
    try:
        return Claims(
            sub=payload["sub"],
            role=role,
            aud=payload["aud"],
            exp=payload["exp"],
            app_role=app_role,
            email=payload.get("email"),
        )
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise TokenError(f"invalid claim {where!r}: {first['msg']}") from None


def decode_checked(
    token: str, key: Any, algorithm: str, *, audience: str, leeway: timedelta = timedelta(0)
) -> Claims:
    """Check ``token``'s signature with ``key`` under exactly ``algorithm``, then its claims.

    Shared by the HS256 secret and the JWKS keys, so both refuse the same tokens for the same
    reasons. Raise ``TokenError`` saying why a token is refused.
    """
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            leeway=leeway,
            options={
                "require": ["exp", "sub", "aud", "role"],
                "strict_aud": True,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.InvalidSignatureError:
        raise TokenError("signature does not match") from None
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("token not valid yet") from None
    except jwt.InvalidAudienceError:
        raise TokenError(f"expected audience {audience!r}") from None
    except jwt.MissingRequiredClaimError as e:
        raise TokenError(f"missing claim {e.claim!r}") from None
    except jwt.DecodeError:
        raise TokenError("malformed token") from None
    except jwt.InvalidTokenError as e:
        raise TokenError(f"invalid token: {e}") from None
    return _claims_of(payload)


def unverified_header(token: str) -> dict[str, Any]:
    """Return the token's header, unverified (it only says which key to check with)."""
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenError("malformed token") from None


class TokenVerifier:
    """Checks access tokens against one secret and audience; build one per app, not per request."""

    def __init__(
        self, secret: SecretStr, *, audience: str = DEFAULT_AUDIENCE, leeway: timedelta = timedelta(0)
    ) -> None:
        self._key = check_secret(secret)
        self._audience = audience
        self._leeway = leeway

    def __repr__(self) -> str:
        return f"TokenVerifier(audience={self._audience!r})"

    def verify(self, token: str) -> Claims:
        """Return the token's claims; raise ``TokenError`` saying why it is refused."""
        header = unverified_header(token)
        if header.get("alg") != ALGORITHM:
            # Checked first so the reason is plain; PyJWT would refuse it too (algorithms pinned).
            raise TokenError(f"expected alg {ALGORITHM}, was {header.get('alg')!r}")
        return decode_checked(token, self._key, ALGORITHM, audience=self._audience, leeway=self._leeway)


def issue_token(
    secret: SecretStr,
    user_id: uuid.UUID,
    *,
    app_role: AppRole = "user",
    audience: str = DEFAULT_AUDIENCE,
    email: str | None = None,
    ttl: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> str:
    """Return a signed access token shaped like Supabase's, for tests and local sign-in."""
    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "role": USER_ROLE,
        "aud": audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "app_metadata": {"role": app_role},
    }
    if email is not None:
        payload["email"] = email
    return jwt.encode(payload, check_secret(secret), algorithm=ALGORITHM)


__all__ = [
    "ALGORITHM",
    "DEFAULT_AUDIENCE",
    "MIN_SECRET_BYTES",
    "AppRole",
    "Claims",
    "TokenError",
    "TokenVerifier",
    "check_secret",
    "decode_checked",
    "issue_token",
    "unverified_header",
]
