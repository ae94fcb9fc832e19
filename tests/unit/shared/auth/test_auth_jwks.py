"""JWKS verification against a real HTTP server publishing keys these tests generate.

The key set is served over loopback by a tiny Starlette app (what Supabase's
``/auth/v1/.well-known/jwks.json`` is to a real project), so fetching, caching and refetching on
rotation run for real. The algorithm is always the key's: a token naming another is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.auth.access import AccessTokenVerifier
from shared.auth.jwks import JwksVerifier, SigningKeysUnavailable, parse_key_set
from shared.auth.tokens import TokenError, TokenVerifier, issue_token
from tests.support.asgi_server import serve_in_thread

USER = UUID("6f1c2a4e-3b0d-4c5e-9a8f-2d7b1e0c9f31")
SECRET = SecretStr("jwks-test-hs256-secret-" + "h" * 40)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private: Any, kid: str, **extra: str) -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", **extra}


@dataclass
class KeyServer:
    """What the JWKS endpoint serves, and how often it was asked."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    url: str = ""


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    served = KeyServer(
        keys=[public_jwk(EC_KEY, "ec-1", alg="ES256"), public_jwk(RSA_KEY, "rsa-1")]  # RS256 implied by kty
    )

    async def jwks(_: Request) -> Response:
        served.requests += 1
        return JSONResponse({"keys": served.keys})

    with serve_in_thread(Starlette(routes=[Route("/.well-known/jwks.json", jwks)])) as url:
        served.url = f"{url}/.well-known/jwks.json"
        yield served


@pytest.fixture
def verifier(key_server: KeyServer) -> JwksVerifier:
    return JwksVerifier(key_server.url, min_refetch=timedelta(0))


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    payload = {
        "sub": str(USER),
        "role": "authenticated",
        "aud": "authenticated",
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "app_metadata": {"provider": "email"},
    }
    return {**payload, **overrides}


def signed(private: Any, kid: str, algorithm: str, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), private, algorithm=algorithm, headers={"kid": kid})


def hs256_with_raw_key(payload: dict[str, Any], key: bytes, kid: str) -> str:
    """An HS256 token whose HMAC key is ``key`` (PyJWT itself refuses to use a PEM as a secret)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    signing_input = (
        f"{part(json.dumps({'alg': 'HS256', 'kid': kid}).encode())}.{part(json.dumps(payload).encode())}"
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


async def reason(verifier: JwksVerifier | AccessTokenVerifier, token: str) -> str:
    with pytest.raises(TokenError) as refused:
        await verifier.verify(token)
    return refused.value.reason


# -- GOOD TOKENS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("private", "kid", "algorithm"), [(EC_KEY, "ec-1", "ES256"), (RSA_KEY, "rsa-1", "RS256")]
)
async def test_a_token_signed_with_a_published_key_verifies_to_its_user(
    verifier: JwksVerifier, private: Any, kid: str, algorithm: str
) -> None:
    claims_ = await verifier.verify(signed(private, kid, algorithm))

    assert (claims_.sub, claims_.role, claims_.app_role) == (USER, "authenticated", "user")


async def test_the_key_set_is_fetched_once_and_cached(verifier: JwksVerifier, key_server: KeyServer) -> None:
    for _ in range(5):
        await verifier.verify(signed(EC_KEY, "ec-1", "ES256"))

    assert key_server.requests == 1


async def test_a_rotated_in_key_is_found_by_refetching_on_its_unknown_kid(
    verifier: JwksVerifier, key_server: KeyServer
) -> None:
    # Arrange: the verifier has the old set cached, then the provider publishes a new key
    await verifier.verify(signed(EC_KEY, "ec-1", "ES256"))
    new_key = ec.generate_private_key(ec.SECP256R1())
    key_server.keys = [*key_server.keys, public_jwk(new_key, "ec-2", alg="ES256")]

    # Act
    claims_ = await verifier.verify(signed(new_key, "ec-2", "ES256"))

    # Assert
    assert claims_.sub == USER and key_server.requests == 2


async def test_unknown_kids_refetch_at_most_once_per_interval(key_server: KeyServer) -> None:
    verifier = JwksVerifier(key_server.url, min_refetch=timedelta(minutes=1))
    await verifier.verify(signed(EC_KEY, "ec-1", "ES256"))

    for n in range(5):
        assert (
            await reason(verifier, signed(EC_KEY, f"made-up-{n}", "ES256")) == f"no signing key 'made-up-{n}'"
        )

    assert key_server.requests == 1


# -- REFUSED TOKENS --------------------------------------------------------------------------------


async def test_a_token_naming_an_unpublished_kid_is_refused(verifier: JwksVerifier) -> None:
    assert await reason(verifier, signed(EC_KEY, "nobody", "ES256")) == "no signing key 'nobody'"


async def test_a_token_whose_alg_is_not_its_keys_alg_is_refused(verifier: JwksVerifier) -> None:
    # Signed with the RSA key but naming the EC key's kid: the key decides the algorithm.
    assert (
        await reason(verifier, signed(RSA_KEY, "ec-1", "RS256"))
        == "expected alg ES256 for key 'ec-1', was 'RS256'"
    )


async def test_the_hmac_confusion_attack_with_the_public_key_as_secret_is_refused(
    verifier: JwksVerifier,
) -> None:
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = hs256_with_raw_key(claims(), public_pem, "rsa-1")

    assert await reason(verifier, forged) == "expected alg RS256 or ES256, was 'HS256'"


async def test_alg_none_is_refused(verifier: JwksVerifier) -> None:
    token = jwt.encode(claims(), None, algorithm="none", headers={"kid": "ec-1"})

    assert await reason(verifier, token) == "expected alg RS256 or ES256, was 'none'"


async def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(verifier: JwksVerifier) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())

    assert await reason(verifier, signed(impostor, "ec-1", "ES256")) == "signature does not match"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"exp": int(datetime.now(UTC).timestamp()) - 60}, "token expired"),
        ({"aud": "anon"}, "expected audience 'authenticated'"),
        ({"role": "service_role"}, "expected role 'authenticated', was 'service_role'"),
    ],
)
async def test_the_claims_are_checked_as_for_hs256_tokens(
    verifier: JwksVerifier, overrides: dict[str, Any], expected: str
) -> None:
    assert await reason(verifier, signed(EC_KEY, "ec-1", "ES256", **overrides)) == expected


async def test_a_token_without_a_kid_is_refused(verifier: JwksVerifier) -> None:
    token = jwt.encode(claims(), EC_KEY, algorithm="ES256")

    assert await reason(verifier, token) == "expected a 'kid' header naming the signing key"


async def test_an_unreachable_key_set_is_the_servers_problem_not_the_tokens(key_server: KeyServer) -> None:
    verifier = JwksVerifier(key_server.url.replace("jwks.json", "missing.json"))

    with pytest.raises(SigningKeysUnavailable):
        await verifier.verify(signed(EC_KEY, "ec-1", "ES256"))


# -- THE KEY SET -----------------------------------------------------------------------------------


def test_symmetric_unsupported_and_encryption_keys_in_a_set_are_skipped() -> None:
    document = {
        "keys": [
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0", "alg": "HS256"},
            public_jwk(EC_KEY, "enc", use="enc"),
            public_jwk(ec.generate_private_key(ec.SECP384R1()), "p384"),  # ES384: not taken
            {"kid": "broken", "kty": "RSA", "n": "AQAB"},
            public_jwk(EC_KEY, "ec-1"),
        ]
    }

    assert {kid: key.algorithm for kid, key in parse_key_set(document).items()} == {"ec-1": "ES256"}


@pytest.mark.parametrize("document", [[], {"keys": "none"}, {"no": "keys"}])
def test_a_document_that_is_no_key_set_is_refused(document: object) -> None:
    with pytest.raises(ValueError, match="expected a JWKS document"):
        parse_key_set(document)


# -- SECRET AND KEY SET TOGETHER -------------------------------------------------------------------


async def test_with_a_secret_and_a_key_set_both_kinds_of_token_are_accepted_and_nothing_else(
    verifier: JwksVerifier,
) -> None:
    both = AccessTokenVerifier(TokenVerifier(SECRET), verifier)

    assert (await both.verify(issue_token(SECRET, USER))).sub == USER
    assert (await both.verify(signed(EC_KEY, "ec-1", "ES256"))).sub == USER
    none = jwt.encode(claims(), None, algorithm="none")
    assert await reason(both, none) == "expected alg HS256 or RS256 or ES256, was 'none'"
    assert (
        await reason(both, signed(RSA_KEY, "rsa-1", "RS512"))
        == "expected alg HS256 or RS256 or ES256, was 'RS512'"
    )


async def test_with_only_a_secret_asymmetric_tokens_are_refused_up_front() -> None:
    secret_only = AccessTokenVerifier(TokenVerifier(SECRET))

    assert await reason(secret_only, signed(EC_KEY, "ec-1", "ES256")) == "expected alg HS256, was 'ES256'"


def test_a_verifier_with_nothing_to_check_against_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a JWT secret, a JWKS URL, or both"):
        AccessTokenVerifier()
