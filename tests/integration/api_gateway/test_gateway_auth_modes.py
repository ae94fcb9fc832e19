"""How the operator's settings shape sign-in: login throttling, admins by address, argon2 cost
changes, sign-up turned off, and Supabase-issued tokens checked against a real JWKS server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.api_gateway.main import create_app
from shared.auth.tokens import issue_token
from shared.db.models import UserCredential
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from tests.integration.api_gateway.auth_support import AUTH, PASSWORD, email_for, log_in, sign_up
from tests.integration.api_gateway.conftest import AUTH_JWT_SECRET, AuthSettings
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

INVALID = {"error": {"code": "invalid_credentials", "message": "invalid email or password"}}


# -- LOGIN THROTTLING ------------------------------------------------------------------------------


async def test_the_sixth_failure_within_the_window_is_a_429_even_with_the_right_password(
    auth_client: httpx.AsyncClient,
) -> None:
    # Arrange
    email = email_for("throttled")
    await sign_up(auth_client, email)

    # Act
    failures = [await log_in(auth_client, email, "wrong password!") for _ in range(5)]
    throttled = await log_in(auth_client, email, "wrong password!")
    right_password = await log_in(auth_client, email)

    # Assert
    assert [(r.status_code, r.json()) for r in failures] == [(401, INVALID)] * 5
    for response in (throttled, right_password):
        assert response.status_code == 429
        retry_after = int(response.headers["Retry-After"])
        assert 800 < retry_after <= 900  # the first failure leaves the 15-minute window
        assert response.json() == {
            "error": {
                "code": "too_many_attempts",
                "message": f"too many failed logins; try again in {retry_after} s",
            }
        }


async def test_an_unknown_address_is_throttled_like_a_known_one(auth_client: httpx.AsyncClient) -> None:
    nobody = email_for("nobody")

    answers = [(await log_in(auth_client, nobody)).status_code for _ in range(6)]

    assert answers == [401, 401, 401, 401, 401, 429]


async def test_a_successful_login_forgets_the_addresss_failures(auth_client: httpx.AsyncClient) -> None:
    email = email_for("forgiven")
    await sign_up(auth_client, email)

    before = [(await log_in(auth_client, email, "wrong password!")).status_code for _ in range(4)]
    success = await log_in(auth_client, email)
    after = [(await log_in(auth_client, email, "wrong password!")).status_code for _ in range(4)]

    assert before == after == [401] * 4 and success.status_code == 200


@pytest.mark.usefixtures("no_login_failures")
def test_failures_per_ip_are_limited_across_addresses_and_the_window_slides(
    auth_settings: AuthSettings,
) -> None:
    # Arrange: 3 failures per IP within 3 s, whatever the address
    settings = auth_settings(
        auth_login_failures_per_ip=3, auth_login_failures_per_email=100, auth_login_window_s=3
    )
    with serve_in_thread(create_app(settings)) as url:
        # Act
        first = [
            httpx.post(f"{url}{AUTH}/login", json={"email": email_for(f"ip{n}"), "password": PASSWORD})
            for n in range(3)
        ]
        throttled = httpx.post(f"{url}{AUTH}/login", json={"email": email_for("ip3"), "password": PASSWORD})
        wait = int(throttled.headers["Retry-After"])
        time.sleep(wait)
        later = httpx.post(f"{url}{AUTH}/login", json={"email": email_for("ip4"), "password": PASSWORD})

    # Assert
    assert [r.status_code for r in first] == [401, 401, 401]
    assert throttled.status_code == 429 and 1 <= wait <= 3
    assert later.status_code == 401 and later.json() == INVALID


# -- ADMINS ARE THE OPERATOR'S CHOICE --------------------------------------------------------------


def test_a_listed_address_signs_up_as_admin_and_is_demoted_once_unlisted(auth_settings: AuthSettings) -> None:
    email = email_for("ops")
    listed = auth_settings(auth_admin_emails=(email.upper(),))  # compared in lower case
    unlisted = auth_settings(auth_admin_emails=())

    with serve_in_thread(create_app(listed)) as url:
        signed_up = httpx.post(
            f"{url}{AUTH}/signup", json={"email": email, "password": PASSWORD, "display_name": "Ops"}
        )
        admin_token = jwt.decode(
            signed_up.json()["access_token"],
            AUTH_JWT_SECRET.get_secret_value(),
            algorithms=["HS256"],
            audience="authenticated",
        )
    with serve_in_thread(create_app(unlisted)) as url:
        refreshed = httpx.post(
            f"{url}{AUTH}/refresh", json={"refresh_token": signed_up.json()["refresh_token"]}
        )
        me = httpx.get(
            f"{url}{AUTH}/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        )
        user_token = jwt.decode(
            refreshed.json()["access_token"],
            AUTH_JWT_SECRET.get_secret_value(),
            algorithms=["HS256"],
            audience="authenticated",
        )

    assert signed_up.status_code == 201 and signed_up.json()["user"]["role"] == "admin"
    assert admin_token["app_metadata"] == {"role": "admin"}
    assert refreshed.status_code == 200 and refreshed.json()["user"]["role"] == "user"
    assert me.json()["role"] == "user" and user_token["app_metadata"] == {"role": "user"}


# -- PASSWORD HASH PARAMETERS ----------------------------------------------------------------------


async def test_a_login_under_new_argon2_parameters_rehashes_the_stored_password(
    auth_client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    auth_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # Arrange: an account hashed under the cheap parameters
    email = email_for("rehash")
    user_id = UUID((await sign_up(auth_client, email))["user"]["id"])
    old_hash = await stored_hash(auth_sessionmaker, user_id)

    # Act: the operator raises the cost, and the user logs in
    stronger = auth_settings(auth_argon2_time_cost=2, auth_argon2_memory_kib=2048)
    with serve_in_thread(create_app(stronger)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as other:
            first = await log_in(other, email)
            new_hash = await stored_hash(auth_sessionmaker, user_id)
            second = await log_in(other, email)

    # Assert
    assert "$m=1024,t=1,p=4$" in old_hash
    assert first.status_code == 200 and second.status_code == 200
    assert "$m=2048,t=2,p=4$" in new_hash and new_hash != old_hash
    assert await stored_hash(auth_sessionmaker, user_id) == new_hash  # no rehash when nothing changed


async def stored_hash(sessionmaker: async_sessionmaker[AsyncSession], user_id: UUID) -> str:
    async with service_session(sessionmaker) as db:
        value = await db.scalar(select(UserCredential.password_hash).where(UserCredential.user_id == user_id))
    assert value is not None
    return value


# -- SIGN-UP OFF, NOTHING CONFIGURED ---------------------------------------------------------------


async def test_with_signup_off_new_accounts_are_refused_and_existing_ones_still_log_in(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings
) -> None:
    email = email_for("existing")
    await sign_up(auth_client, email)

    with serve_in_thread(create_app(auth_settings(auth_local_signup=False))) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as other:
            refused = await other.post(
                f"{AUTH}/signup", json={"email": email_for("new"), "password": PASSWORD, "display_name": "N"}
            )
            login = await log_in(other, email)

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "signup_disabled"
    assert login.status_code == 200


def test_without_a_secret_or_a_key_set_the_auth_routes_answer_503(auth_settings: AuthSettings) -> None:
    with serve_in_thread(create_app(auth_settings(jwt_secret=None))) as url:
        login = httpx.post(f"{url}{AUTH}/login", json={"email": "a@example.com", "password": PASSWORD})
        me = httpx.get(f"{url}{AUTH}/me", headers={"Authorization": "Bearer x.y.z"})

    assert login.status_code == 503
    assert login.json()["error"] == {
        "code": "auth_not_configured",
        "message": "local sign-in is not configured on this server: set CRYPTOPULSE_JWT_SECRET",
    }
    assert me.status_code == 503 and me.json()["error"]["code"] == "auth_not_configured"


# -- SUPABASE TOKENS THROUGH A JWKS ----------------------------------------------------------------

SUPABASE_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = {**ECAlgorithm.to_jwk(SUPABASE_KEY.public_key(), as_dict=True), "kid": "supabase-1", "alg": "ES256"}

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [jwk]})

    with serve_in_thread(Starlette(routes=[Route("/auth/v1/.well-known/jwks.json", jwks)])) as url:
        yield f"{url}/auth/v1/.well-known/jwks.json"


def supabase_token(user_id: UUID, *, kid: str = "supabase-1", **overrides: Any) -> str:
    claims = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
        "app_metadata": {"provider": "email", "providers": ["email"]},
        **overrides,
    }
    return jwt.encode(claims, SUPABASE_KEY, algorithm="ES256", headers={"kid": kid})


async def test_supabase_tokens_are_checked_against_the_published_keys(
    auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession], jwks_url: str
) -> None:
    # Arrange: Supabase owns accounts; the user's row carries Supabase's id
    user = await UserRepository(auth_sessionmaker).create(email_for("supa"), "Supa", user_id=uuid4())
    settings = auth_settings(jwt_secret=None, jwt_jwks_url=jwks_url, auth_local_signup=False)

    # Act
    with serve_in_thread(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as other:

            async def me(token: str) -> httpx.Response:
                return await other.get(f"{AUTH}/me", headers={"Authorization": f"Bearer {token}"})

            good = await me(supabase_token(user.id))
            wrong_kid = await me(supabase_token(user.id, kid="rotated-away"))
            expired = await me(supabase_token(user.id, exp=int(datetime.now(UTC).timestamp()) - 60))
            hs256 = await me(issue_token(AUTH_JWT_SECRET, user.id))
            stranger = await me(supabase_token(uuid4()))
            signup = await other.post(
                f"{AUTH}/signup", json={"email": email_for("x"), "password": PASSWORD, "display_name": "X"}
            )

    # Assert
    assert good.status_code == 200 and good.json()["id"] == str(user.id)
    refusals = {
        "wrong kid": (wrong_kid, "token refused: no signing key 'rotated-away'"),
        "expired": (expired, "token refused: token expired"),
        "hs256": (hs256, "token refused: expected alg RS256 or ES256, was 'HS256'"),
    }
    for case, (response, message) in refusals.items():
        assert response.status_code == 401, case
        assert response.json() == {"error": {"code": "invalid_token", "message": message}}, case
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "unknown_user"
    assert signup.status_code == 503  # no secret to sign local sessions with


def test_an_unreachable_key_set_is_a_503_not_a_refused_token(
    auth_settings: AuthSettings, jwks_url: str
) -> None:
    settings = auth_settings(jwt_secret=None, jwt_jwks_url=jwks_url.replace("jwks.json", "gone.json"))

    with serve_in_thread(create_app(settings)) as url:
        response = httpx.get(
            f"{url}{AUTH}/me", headers={"Authorization": f"Bearer {supabase_token(uuid4())}"}
        )

    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "auth_unavailable",
        "message": "the identity provider's signing keys are unavailable",
    }
