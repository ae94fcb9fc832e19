"""Local accounts over real HTTP: sign-up, login, refresh with rotation and theft detection,
logout, ``/me``; refusals that tell nothing; secrets that never come back out; bad input.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import RefreshToken, User
from shared.db.tenancy import service_session
from tests.integration.api_gateway.auth_support import (
    AUTH,
    PASSWORD,
    bearer,
    email_for,
    refresh,
    sign_up,
    signup_body,
)
from tests.integration.api_gateway.conftest import AUTH_JWT_SECRET

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


# -- THE JOURNEY -----------------------------------------------------------------------------------


async def test_signup_login_me_refresh_reuse_detection_and_logout(auth_client: httpx.AsyncClient) -> None:
    # Arrange: an account, and a second sign-in of it (another device, another family)
    email = email_for("journey")
    signed_up = await sign_up(auth_client, email)
    login = await auth_client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    device = login.json()

    # Act: /me, then one refresh, then the spent token shown again
    me = await auth_client.get(f"{AUTH}/me", headers=bearer(device))
    rotated = await refresh(auth_client, device["refresh_token"])
    replayed = await refresh(auth_client, device["refresh_token"])
    after_theft = await refresh(auth_client, rotated.json()["refresh_token"])

    # Assert: the rotation worked once; the replay revoked its family (the rotated token too) ...
    assert signed_up["user"]["email"] == email and signed_up["token_type"] == "bearer"
    assert me.status_code == 200 and me.json() == signed_up["user"]
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != device["refresh_token"]
    assert rotated.json()["user"] == signed_up["user"]
    assert replayed.status_code == 401
    assert replayed.json() == {
        "error": {
            "code": "invalid_refresh_token",
            "message": "refresh token refused: refresh token already used; every session of this sign-in "
            "is revoked",
        }
    }
    assert after_theft.status_code == 401 and "already used" in after_theft.json()["error"]["message"]
    # ... but not the sign-up's family, until logout revokes it
    still = await refresh(auth_client, signed_up["refresh_token"])
    assert still.status_code == 200
    logout = await auth_client.post(f"{AUTH}/logout", json={"refresh_token": still.json()["refresh_token"]})
    assert logout.status_code == 204 and logout.content == b""
    gone = await refresh(auth_client, still.json()["refresh_token"])
    assert gone.status_code == 401
    assert (
        gone.json()["error"]["message"]
        == "refresh token refused: refresh token already used; every session of this sign-in is revoked"
    )


async def test_the_access_token_is_supabase_shaped_short_lived_and_works_on_other_routes(
    auth_client: httpx.AsyncClient,
) -> None:
    session = await sign_up(auth_client, email_for("shape"))

    claims = jwt.decode(
        session["access_token"],
        AUTH_JWT_SECRET.get_secret_value(),
        algorithms=["HS256"],
        audience="authenticated",
    )
    keys = await auth_client.get("/api/exchange-keys", headers=bearer(session))

    assert claims["sub"] == session["user"]["id"] and claims["role"] == "authenticated"
    assert claims["app_metadata"] == {"role": "user"} and claims["email"] == session["user"]["email"]
    assert claims["exp"] - claims["iat"] == session["expires_in"] == 900
    assert keys.status_code == 200 and keys.json() == {"data": [], "count": 0}


async def test_an_unknown_or_garbage_refresh_token_is_refused(auth_client: httpx.AsyncClient) -> None:
    unknown = await refresh(auth_client, "x" * 43)

    assert unknown.status_code == 401
    assert unknown.json()["error"]["message"] == "refresh token refused: unknown refresh token"


async def test_an_expired_refresh_token_is_refused(
    auth_client: httpx.AsyncClient, auth_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    session = await sign_up(auth_client, email_for("expired"))
    digest = hashlib.sha256(session["refresh_token"].encode()).digest()
    async with service_session(auth_sessionmaker) as db:
        row = await db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(days=40)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)

    response = await refresh(auth_client, session["refresh_token"])

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "refresh token refused: expired refresh token"


async def test_logout_of_an_unknown_token_is_a_quiet_204(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post(f"{AUTH}/logout", json={"refresh_token": "never-issued"})

    assert response.status_code == 204


async def test_two_refreshes_racing_with_one_token_leave_one_winner_and_revoke_the_family(
    auth_client: httpx.AsyncClient,
) -> None:
    session = await sign_up(auth_client, email_for("race"))

    first, second = await asyncio.gather(
        refresh(auth_client, session["refresh_token"]), refresh(auth_client, session["refresh_token"])
    )

    assert sorted([first.status_code, second.status_code]) == [200, 401]
    winner = first if first.status_code == 200 else second
    assert (await refresh(auth_client, winner.json()["refresh_token"])).status_code == 401


# -- ACCOUNTS --------------------------------------------------------------------------------------


async def test_addresses_are_stored_in_lower_case_and_taken_whatever_the_case(
    auth_client: httpx.AsyncClient,
) -> None:
    email = email_for("Carol").replace("carol", "Carol.X").upper().replace("EXAMPLE.COM", "Example.COM")

    first = await auth_client.post(f"{AUTH}/signup", json=signup_body(email))
    again = await auth_client.post(f"{AUTH}/signup", json=signup_body(email.lower()))
    login = await auth_client.post(f"{AUTH}/login", json={"email": email.swapcase(), "password": PASSWORD})

    assert first.status_code == 201 and first.json()["user"]["email"] == email.lower()
    assert again.status_code == 409
    assert again.json() == {
        "error": {"code": "email_taken", "message": "an account with this address exists"}
    }
    assert login.status_code == 200 and login.json()["user"]["id"] == first.json()["user"]["id"]


async def test_wrong_password_and_unknown_address_get_the_same_answer(auth_client: httpx.AsyncClient) -> None:
    email = email_for("same")
    await sign_up(auth_client, email)

    wrong = await auth_client.post(f"{AUTH}/login", json={"email": email, "password": "not the password"})
    unknown = await auth_client.post(
        f"{AUTH}/login", json={"email": email_for("nobody"), "password": PASSWORD}
    )
    not_an_address = await auth_client.post(f"{AUTH}/login", json={"email": "nobody", "password": PASSWORD})

    expected = {"error": {"code": "invalid_credentials", "message": "invalid email or password"}}
    for response in (wrong, unknown, not_an_address):
        assert response.status_code == 401 and response.json() == expected
        assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("alg none", "expected alg HS256, was 'none'"),
        ("expired", "token expired"),
        ("wrong key", "signature does not match"),
        ("wrong audience", "expected audience 'authenticated'"),
    ],
)
async def test_me_refuses_forged_tokens_with_the_reason(
    auth_client: httpx.AsyncClient, case: str, reason: str
) -> None:
    session = await sign_up(auth_client, email_for("forged"))
    claims = jwt.decode(
        session["access_token"],
        AUTH_JWT_SECRET.get_secret_value(),
        algorithms=["HS256"],
        audience="authenticated",
    )
    secret = AUTH_JWT_SECRET.get_secret_value()
    forged = {
        "alg none": lambda: jwt.encode(claims, None, algorithm="none"),
        "expired": lambda: jwt.encode({**claims, "exp": int(datetime.now(UTC).timestamp()) - 60}, secret),
        "wrong key": lambda: jwt.encode(claims, "another-secret-of-enough-length-" + "z" * 32),
        "wrong audience": lambda: jwt.encode({**claims, "aud": "anon"}, secret),
    }[case]()

    response = await auth_client.get(f"{AUTH}/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "invalid_token", "message": f"token refused: {reason}"}}


# -- BAD INPUT -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"password": "x" * 12, "display_name": "A"}, "email: Field required"),
        (
            signup_body("a@example.com", password="short"),
            "password: Value error, expected a password of at least 10 characters, was 5",
        ),
        (
            signup_body("a@example.com", password="p" * 129),
            "password: Value error, expected a password of at most 128 bytes, was 129",
        ),
        (
            signup_body("same@example.com", password="Same@Example.com"),
            "password: Value error, expected a password other than the e-mail address",
        ),
        (signup_body("not-an-address"), "email: String should match pattern"),
        (signup_body(12345), "email: Input should be a valid string"),
        (
            signup_body("a@example.com", password=["correct horse battery"]),
            "password: Input should be a valid string",
        ),
        (
            signup_body("a@example.com", display_name=""),
            "display_name: String should have at least 1 character",
        ),
        (
            signup_body("a@example.com", display_name="A\x00B"),
            "display_name: Value error, expected a display name without control characters",
        ),
        (
            signup_body("a@example.com", display_name="   "),
            "display_name: Value error, expected a display name that is not blank",
        ),
        (signup_body("a@example.com", role="admin"), "role: Extra inputs are not permitted"),
        (signup_body("a@example.com", id=str(uuid4())), "id: Extra inputs are not permitted"),
    ],
)
async def test_a_bad_signup_is_a_422_with_the_reason_and_stores_nothing(
    auth_client: httpx.AsyncClient,
    auth_sessionmaker: async_sessionmaker[AsyncSession],
    body: dict[str, Any],
    message: str,
) -> None:
    async with service_session(auth_sessionmaker) as db:
        before = await db.scalar(select(func.count()).select_from(User))

    response = await auth_client.post(f"{AUTH}/signup", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"].startswith(message)
    if isinstance(body.get("password"), str):
        assert body["password"] not in response.text  # a refused password is never echoed
    async with service_session(auth_sessionmaker) as db:
        assert await db.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        ("/signup", b'{"email": "a@example.com", "password": ', "JSON decode error"),
        ("/login", b"[1, 2, 3]", "Input should be a valid dictionary"),
        ("/login", b'{"email": "a@example.com"}', "password: Field required"),
        (
            "/login",
            b'{"email": "a\\u0000@example.com", "password": "x"}',
            "email: Value error, expected an e-mail",
        ),
        (
            "/signup",
            b'{"email": "a\\u0000@example.com", "password": "correct horse battery", "display_name": "A"}',
            "email: String should match pattern",
        ),
        ("/refresh", b'{"refresh_token": 42}', "refresh_token: Input should be a valid string"),
        (
            "/logout",
            b'{"refresh_token": "' + b"r" * 200 + b'"}',
            "refresh_token: String should have at most 128",
        ),
    ],
)
async def test_malformed_bodies_are_a_422_with_the_reason(
    auth_client: httpx.AsyncClient, path: str, content: bytes, message: str
) -> None:
    response = await auth_client.post(
        f"{AUTH}{path}", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


async def test_an_oversized_body_is_a_413_before_any_hashing(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post(
        f"{AUTH}/signup", json=signup_body("big@example.com", display_name="x" * 20_000)
    )

    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(
    "display_name",
    [
        "Robert'); DROP TABLE users;--",
        "<script>alert('x')</script>",
        '"}]} {{7*7}} ${7*7} %s %n ../../etc/passwd',
        "Zoë 🚀 مرحبا",
    ],
)
async def test_a_hostile_display_name_is_stored_and_returned_verbatim_and_breaks_nothing(
    auth_client: httpx.AsyncClient, auth_sessionmaker: async_sessionmaker[AsyncSession], display_name: str
) -> None:
    email = email_for("hostile")

    created = await auth_client.post(f"{AUTH}/signup", json=signup_body(email, display_name=display_name))
    me = await auth_client.get(f"{AUTH}/me", headers=bearer(created.json()))
    login = await auth_client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})

    assert created.status_code == 201 and me.json()["display_name"] == display_name
    assert me.headers["content-type"] == "application/json"
    assert login.status_code == 200
    async with service_session(auth_sessionmaker) as db:
        assert await db.scalar(select(User.display_name).where(User.email == email)) == display_name
        assert await db.scalar(select(func.count()).select_from(User)) > 0  # the table is still there


# -- OPENAPI ---------------------------------------------------------------------------------------


async def test_openapi_documents_every_auth_route_with_examples_and_the_error_body(
    auth_client: httpx.AsyncClient,
) -> None:
    spec = (await auth_client.get("/openapi.json")).json()

    routes = {
        ("post", "/signup"): {"201", "400", "403", "409", "413", "422", "503"},
        ("post", "/login"): {"200", "400", "401", "413", "422", "429", "503"},
        ("post", "/refresh"): {"200", "400", "401", "413", "422", "503"},
        ("post", "/logout"): {"204", "400", "413", "422", "503"},
        ("get", "/me"): {"200", "401", "403", "503"},
    }
    for (method, path), statuses in routes.items():
        operation = spec["paths"][f"{AUTH}{path}"][method]
        assert set(operation["responses"]) == statuses, path
        assert operation["summary"] and operation["description"]
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = response["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
        assert ("security" in operation) == (path == "/me")
    assert "Retry-After" in spec["paths"][f"{AUTH}/login"]["post"]["responses"]["429"]["headers"]
    schemas = spec["components"]["schemas"]
    for name in ("SignUpBody", "LoginBody", "RefreshBody"):
        assert schemas[name]["additionalProperties"] is False and schemas[name]["examples"], name
    assert schemas["SignUpBody"]["properties"]["password"]["writeOnly"] is True
    assert "example" in schemas["SessionPublic"] and "example" in schemas["UserPublic"]
