"""Access tokens: what the verifier accepts, and the reason it gives for everything it refuses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from pydantic import SecretStr

from shared.auth.tokens import MIN_SECRET_BYTES, TokenError, TokenVerifier, issue_token

SECRET = SecretStr("unit-test-jwt-secret-" + "s" * 43)  # 64 bytes: long enough for HS512 too
OTHER_SECRET = SecretStr("another-jwt-secret-also-32-bytes-long!!")
USER = UUID("6f1c2a4e-3b0d-4c5e-9a8f-2d7b1e0c9f31")


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(SECRET)


def payload(**overrides: Any) -> dict[str, Any]:
    """Supabase's access-token claims for USER, valid for an hour; ``None`` removes a claim."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(USER),
        "role": "authenticated",
        "aud": "authenticated",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "email": "alice@example.com",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed(claims: dict[str, Any], secret: SecretStr = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret.get_secret_value(), algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    """An ``alg: none`` token: header and payload, empty signature."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenError) as refused:
        verifier.verify(token)
    return refused.value.reason


# -- ACCEPTED ------------------------------------------------------------------------------------


def test_an_issued_token_verifies_to_its_user_with_the_user_app_role(verifier: TokenVerifier) -> None:
    # Arrange
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_token(SECRET, USER, email="alice@example.com", now=now, ttl=timedelta(minutes=5))

    # Act
    claims = verifier.verify(token)

    # Assert
    assert (claims.sub, claims.role, claims.aud, claims.app_role) == (
        USER,
        "authenticated",
        "authenticated",
        "user",
    )
    assert claims.exp == now + timedelta(minutes=5)
    assert claims.email == "alice@example.com" and not claims.is_admin


def test_a_supabase_token_without_an_app_role_is_a_plain_user(verifier: TokenVerifier) -> None:
    claims = verifier.verify(signed(payload()))

    assert claims.sub == USER and claims.app_role == "user"


def test_the_admin_role_comes_from_app_metadata(verifier: TokenVerifier) -> None:
    token = signed(payload(app_metadata={"provider": "email", "role": "admin"}))

    assert verifier.verify(token).is_admin


def test_user_metadata_cannot_make_anyone_an_admin(verifier: TokenVerifier) -> None:
    # Supabase lets users edit user_metadata themselves, so it must grant nothing.
    token = signed(payload(user_metadata={"role": "admin"}))

    assert verifier.verify(token).app_role == "user"


def test_a_configured_audience_is_the_one_required() -> None:
    verifier = TokenVerifier(SECRET, audience="cryptopulse")

    assert verifier.verify(issue_token(SECRET, USER, audience="cryptopulse")).aud == "cryptopulse"
    assert reason(verifier, issue_token(SECRET, USER)) == "expected audience 'cryptopulse'"


# -- REFUSED -------------------------------------------------------------------------------------


def test_alg_none_is_refused_before_anything_else(verifier: TokenVerifier) -> None:
    assert reason(verifier, unsigned(payload())) == "expected alg HS256, was 'none'"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_the_right_secret(
    verifier: TokenVerifier, algorithm: str
) -> None:
    assert (
        reason(verifier, signed(payload(), algorithm=algorithm)) == f"expected alg HS256, was {algorithm!r}"
    )


def test_a_token_signed_with_another_key_is_refused(verifier: TokenVerifier) -> None:
    assert reason(verifier, signed(payload(), secret=OTHER_SECRET)) == "signature does not match"


def test_a_token_whose_payload_was_changed_is_refused(verifier: TokenVerifier) -> None:
    header, _, signature = signed(payload()).split(".")
    forged = signed(payload(app_metadata={"role": "admin"})).split(".")[1]

    assert reason(verifier, f"{header}.{forged}.{signature}") == "signature does not match"


def test_an_expired_token_is_refused(verifier: TokenVerifier) -> None:
    token = issue_token(SECRET, USER, now=datetime.now(UTC) - timedelta(hours=2), ttl=timedelta(hours=1))

    assert reason(verifier, token) == "token expired"


def test_a_token_not_valid_yet_is_refused(verifier: TokenVerifier) -> None:
    nbf = int((datetime.now(UTC) + timedelta(minutes=10)).timestamp())

    assert reason(verifier, signed(payload(nbf=nbf))) == "token not valid yet"


@pytest.mark.parametrize("audience", ["anon", "Authenticated", ["authenticated", "other"]])
def test_a_token_for_another_audience_is_refused(verifier: TokenVerifier, audience: object) -> None:
    assert reason(verifier, signed(payload(aud=audience))) == "expected audience 'authenticated'"


@pytest.mark.parametrize("claim", ["sub", "exp", "aud", "role"])
def test_a_token_missing_a_required_claim_is_refused(verifier: TokenVerifier, claim: str) -> None:
    assert reason(verifier, signed(payload(**{claim: None}))) == f"missing claim {claim!r}"


def test_a_subject_that_is_no_uuid_is_refused(verifier: TokenVerifier) -> None:
    assert reason(verifier, signed(payload(sub="alice"))).startswith("invalid claim 'sub'")


@pytest.mark.parametrize("role", ["anon", "service_role", "postgres"])
def test_only_signed_in_users_tokens_are_accepted(verifier: TokenVerifier, role: str) -> None:
    assert reason(verifier, signed(payload(role=role))) == f"expected role 'authenticated', was {role!r}"


def test_an_unknown_app_role_is_refused_not_downgraded(verifier: TokenVerifier) -> None:
    token = signed(payload(app_metadata={"role": "superuser"}))

    assert reason(verifier, token) == "expected app_metadata.role 'user' or 'admin', was 'superuser'"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_a_malformed_token(verifier: TokenVerifier, token: str) -> None:
    assert reason(verifier, token) == "malformed token"


# -- THE SECRET ----------------------------------------------------------------------------------


def test_a_secret_shorter_than_the_hash_is_refused_for_verifying_and_issuing() -> None:
    short = SecretStr("x" * (MIN_SECRET_BYTES - 1))

    with pytest.raises(ValueError, match="at least 32 bytes, was 31"):
        TokenVerifier(short)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        issue_token(short, uuid4())


def test_the_verifier_never_shows_its_secret() -> None:
    assert SECRET.get_secret_value() not in repr(TokenVerifier(SECRET))
