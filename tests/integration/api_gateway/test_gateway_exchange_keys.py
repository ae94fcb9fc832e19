"""The gateway's exchange-key routes over real HTTP, against real NATS and PostgreSQL.

A signed-in user adds, rotates, lists and deletes their own keys; nobody else's are reachable;
refused tokens get a 401 saying why; and the secret, once sent, is never seen again: not in a
response, not in a log record, not in the database (which holds only ciphertext).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.main import create_app
from shared.auth.tokens import issue_token
from shared.config.settings import GatewaySettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade
from shared.db.models import ExchangeKey
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.users import UserRecord, UserRepository
from shared.db.tenancy import service_session
from shared.secrets import EnvelopeCipher
from shared.telemetry.logging import JsonFormatter
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

JWT_SECRET = SecretStr("gateway-test-jwt-secret-" + "j" * 40)
KEYS = "/api/exchange-keys"


def key_pair(tag: str) -> dict[str, str]:
    """A request body whose API key and secret are easy to search for anywhere they might leak."""
    return {"api_key": f"KEY{tag}" + "k" * 48 + "H1NT", "api_secret": f"SECRET{tag}" + "s" * 48}


# -- FIXTURES ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database_url(postgres_server: PostgresServer) -> str:
    upgrade(postgres_server.url)
    return postgres_server.url


@pytest.fixture(scope="module")
def master_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secrets") / "master.key"


def gateway_settings(
    nats_url: str, database_url: str, master_key_file: Path, **overrides: Any
) -> GatewaySettings:
    return GatewaySettings(
        nats_url=nats_url,
        database_url=database_url,
        master_key_file=master_key_file,
        web_dist_dir=master_key_file.parent / "no-web-build",
        **overrides,
    )


@pytest.fixture(scope="module")
def gateway(nats_server: Any, database_url: str, master_key_file: Path) -> Iterator[str]:
    settings = gateway_settings(nats_server.url, database_url, master_key_file, jwt_secret=JWT_SECRET)
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        yield client


async def new_user(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> UserRecord:
    return await UserRepository(sessionmaker).create(f"{name}-{uuid4().hex}@example.com", name)


@pytest.fixture
async def alice(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "alice")


@pytest.fixture
async def bob(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "bob")


def bearer(user_id: UUID, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, user_id, **claims)}"}


async def stored_rows(sessionmaker: async_sessionmaker[AsyncSession], user_id: UUID) -> list[ExchangeKey]:
    async with service_session(sessionmaker) as session:
        return list((await session.scalars(select(ExchangeKey).where(ExchangeKey.user_id == user_id))).all())


# -- ADD, ROTATE, LIST, DELETE -------------------------------------------------------------------


async def test_put_adds_with_201_then_rotates_with_200_and_the_list_shows_only_public_fields(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    # Arrange
    auth = bearer(alice.id)

    # Act
    added = await client.put(f"{KEYS}/testnet", json=key_pair("a1"), headers=auth)
    rotated = await client.put(f"{KEYS}/testnet", json=key_pair("a2"), headers=auth)
    listed = await client.get(KEYS, headers=auth)

    # Assert
    assert added.status_code == 201, added.text
    assert rotated.status_code == 200, rotated.text
    assert added.json()["id"] == rotated.json()["id"]
    assert added.json()["rotated_at"] is None and rotated.json()["rotated_at"] is not None
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    [key] = listed.json()["data"]
    assert set(key) == {"id", "venue", "label", "api_key_hint", "created_at", "rotated_at"}
    assert (key["venue"], key["label"], key["api_key_hint"]) == ("testnet", "main", "H1NT")
    assert key["rotated_at"] == rotated.json()["rotated_at"]


async def test_labels_keep_several_keys_on_one_venue_apart(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    auth = bearer(alice.id)

    await client.put(f"{KEYS}/paper", json=key_pair("m"), headers=auth)
    bot = await client.put(f"{KEYS}/paper", json={**key_pair("b"), "label": "bot-2"}, headers=auth)
    deleted = await client.delete(f"{KEYS}/paper", params={"label": "bot-2"}, headers=auth)
    listed = (await client.get(KEYS, headers=auth)).json()

    assert bot.status_code == 201 and bot.json()["label"] == "bot-2"
    assert deleted.status_code == 204
    assert [(k["venue"], k["label"]) for k in listed["data"]] == [("paper", "main")]


async def test_delete_answers_204_then_404_once_the_key_is_gone(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    auth = bearer(alice.id)
    await client.put(f"{KEYS}/live", json=key_pair("d"), headers=auth)

    first = await client.delete(f"{KEYS}/live", headers=auth)
    second = await client.delete(f"{KEYS}/live", headers=auth)

    assert first.status_code == 204 and first.content == b""
    assert second.status_code == 404
    assert second.json() == {"error": {"code": "key_not_found", "message": "no live key labelled 'main'"}}
    assert (await client.get(KEYS, headers=auth)).json() == {"data": [], "count": 0}


async def test_a_short_api_key_gets_no_hint(client: httpx.AsyncClient, alice: UserRecord) -> None:
    response = await client.put(
        f"{KEYS}/paper", json={"api_key": "short-key-1", "api_secret": "x" * 20}, headers=bearer(alice.id)
    )

    assert response.status_code == 201 and response.json()["api_key_hint"] is None


# -- ONE USER, ONE SET OF KEYS -------------------------------------------------------------------


async def test_a_user_can_neither_see_rotate_nor_delete_another_users_key(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    bob: UserRecord,
) -> None:
    # Arrange
    alices = (await client.put(f"{KEYS}/testnet", json=key_pair("alice"), headers=bearer(alice.id))).json()
    (alices_row,) = await stored_rows(sessionmaker, alice.id)

    # Act: bob, even with an admin token, works on the same venue and label
    bobs_token = bearer(bob.id, app_role="admin")
    bobs_list = await client.get(KEYS, headers=bobs_token)
    bobs_delete = await client.delete(f"{KEYS}/testnet", headers=bobs_token)
    bobs_put = await client.put(f"{KEYS}/testnet", json=key_pair("bob"), headers=bobs_token)

    # Assert: bob saw nothing, deleted nothing, and his PUT made his own key
    assert bobs_list.json() == {"data": [], "count": 0}
    assert bobs_delete.status_code == 404
    assert bobs_put.status_code == 201 and bobs_put.json()["id"] != alices["id"]
    (alices_row_after,) = await stored_rows(sessionmaker, alice.id)
    assert alices_row_after.api_secret_ciphertext == alices_row.api_secret_ciphertext
    assert alices_row_after.rotated_at is None
    assert [k["id"] for k in (await client.get(KEYS, headers=bearer(alice.id))).json()["data"]] == [
        alices["id"]
    ]


async def test_a_valid_token_of_an_unregistered_user_cannot_store_keys(client: httpx.AsyncClient) -> None:
    stranger = uuid4()

    response = await client.put(f"{KEYS}/paper", json=key_pair("x"), headers=bearer(stranger))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unknown_user"
    assert (await client.get(KEYS, headers=bearer(stranger))).json()["count"] == 0


# -- TOKENS --------------------------------------------------------------------------------------


def _claims(user_id: UUID, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _forge(user_id: UUID, case: str) -> str:
    secret = JWT_SECRET.get_secret_value()
    if case == "alg none":
        return jwt.encode(_claims(user_id), None, algorithm="none")
    if case == "expired":
        return jwt.encode(_claims(user_id, exp=int(datetime.now(UTC).timestamp()) - 60), secret)
    if case == "wrong key":
        return jwt.encode(_claims(user_id), "some-other-secret-that-is-long-enough-" + "x" * 30)
    if case == "wrong audience":
        return jwt.encode(_claims(user_id, aud="anon"), secret)
    assert case == "missing sub"
    return jwt.encode(_claims(user_id, sub=None), secret)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("alg none", "expected alg HS256, was 'none'"),
        ("expired", "token expired"),
        ("wrong key", "signature does not match"),
        ("wrong audience", "expected audience 'authenticated'"),
        ("missing sub", "missing claim 'sub'"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", KEYS), ("PUT", f"{KEYS}/paper"), ("DELETE", f"{KEYS}/paper")]
)
async def test_refused_tokens_get_401_with_the_reason_and_touch_nothing(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    case: str,
    reason: str,
    method: str,
    path: str,
) -> None:
    token = _forge(alice.id, case)

    response = await client.request(
        method,
        path,
        headers={"Authorization": f"Bearer {token}"},
        json=key_pair("t") if method == "PUT" else None,
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {"error": {"code": "invalid_token", "message": f"token refused: {reason}"}}
    assert token not in response.text
    assert await stored_rows(sessionmaker, alice.id) == []


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic YWxpY2U6cGFzc3dvcmQ=", "Token abc"])
async def test_a_request_without_a_bearer_token_gets_401_and_a_bearer_challenge(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await client.get(KEYS, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"


# -- BAD REQUESTS --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_an_unknown_venue_is_a_422_naming_the_venues(
    client: httpx.AsyncClient, alice: UserRecord, method: str
) -> None:
    response = await client.request(
        method, f"{KEYS}/binance", headers=bearer(alice.id), json=key_pair("v") if method == "PUT" else None
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("venue:") and "'paper', 'testnet' or 'live'" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**key_pair("e"), "user_id": str(uuid4())}, "user_id"),
        ({**key_pair("e"), "apiSecret": "SECRETextra"}, "apiSecret"),
        ({"api_key": key_pair("e")["api_key"]}, "api_secret"),
        ({**key_pair("e"), "label": "main key"}, "label"),
        ({**key_pair("e"), "api_secret": "SECRET with spaces"}, "api_secret"),
        ({**key_pair("e"), "api_secret": "S" * 4097}, "api_secret"),
        ({**key_pair("e"), "api_key": ""}, "api_key"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field_never_quoting_it(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    body: dict[str, str],
    field: str,
) -> None:
    response = await client.put(f"{KEYS}/paper", json=body, headers=bearer(alice.id))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"].startswith(f"{field}:")
    assert "SECRET" not in response.text and "KEYe" not in response.text
    assert await stored_rows(sessionmaker, alice.id) == []


async def test_a_label_that_is_not_a_label_is_refused_on_delete(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    response = await client.delete(f"{KEYS}/paper", params={"label": "a/b"}, headers=bearer(alice.id))

    assert response.status_code == 422 and response.json()["error"]["message"].startswith("label:")


async def test_an_oversized_body_is_refused_with_413_before_it_is_parsed(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    huge = {**key_pair("h"), "api_secret": "S" * 100_000}

    response = await client.put(f"{KEYS}/paper", json=huge, headers=bearer(alice.id))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_an_oversized_chunked_body_without_a_length_is_refused_too(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"api_key": "KEY", "api_secret": "'
        for _ in range(40):
            yield b"S" * 1024
        yield b'"}'

    response = await client.put(
        f"{KEYS}/paper",
        content=chunks(),
        headers={**bearer(alice.id), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert "bytes, was over " in response.json()["error"]["message"]


# -- THE SECRET STAYS SECRET ---------------------------------------------------------------------


async def test_the_secret_never_appears_in_a_response_or_a_log_record(
    client: httpx.AsyncClient, alice: UserRecord, caplog: pytest.LogCaptureFixture
) -> None:
    # Arrange: every record, at every level, from every logger (SQLAlchemy's statements included)
    caplog.set_level(logging.DEBUG)
    first, second = key_pair("L0g1"), key_pair("L0g2")
    auth = bearer(alice.id)
    token = auth["Authorization"].removeprefix("Bearer ")

    # Act: the happy paths and the error paths that carry a secret
    responses = [
        await client.put(f"{KEYS}/testnet", json=first, headers=auth),
        await client.put(f"{KEYS}/testnet", json=second, headers=auth),
        await client.put(f"{KEYS}/testnet", json={**second, "extra": second["api_secret"]}, headers=auth),
        await client.put(
            f"{KEYS}/testnet", json={**second, "api_key": second["api_secret"] + " x"}, headers=auth
        ),
        await client.put(f"{KEYS}/nowhere", json=second, headers=auth),
        await client.get(KEYS, headers=auth),
        await client.delete(f"{KEYS}/testnet", headers=auth),
    ]

    # Assert
    assert [r.status_code for r in responses] == [201, 200, 422, 422, 422, 200, 204]
    assert any(r.getMessage() == "exchange key rotated" for r in caplog.records)  # the logs were captured
    formatter = JsonFormatter("api_gateway")
    logged = "\n".join(f"{r.__dict__!r}\n{formatter.format(r)}" for r in caplog.records)
    shown = "\n".join(r.text + json.dumps(dict(r.headers)) for r in responses)
    for pair in (first, second):
        for value in pair.values():
            assert value not in shown
            assert value not in logged
    assert "SECRETL0g" not in logged and "KEYL0g" not in logged
    assert token not in logged


async def test_the_database_holds_only_ciphertext_that_decrypts_to_the_secret_sent(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    master_key_file: Path,
    alice: UserRecord,
) -> None:
    sent = key_pair("db")
    await client.put(f"{KEYS}/testnet", json=sent, headers=bearer(alice.id))

    (row,) = await stored_rows(sessionmaker, alice.id)
    executor = ExchangeKeyRepository(sessionmaker, EnvelopeCipher(master_key_file))
    credentials = await executor.load_for_signing(alice.id, "testnet")

    assert sent["api_secret"] not in row.api_secret_ciphertext and "SECRETdb" not in row.api_secret_ciphertext
    assert sent["api_key"] not in row.api_key_ciphertext and "KEYdb" not in row.api_key_ciphertext
    assert (row.cipher, row.api_key_hint) == ("envelope", "H1NT")
    assert credentials.api_secret.get_secret_value() == sent["api_secret"]
    assert credentials.api_key.get_secret_value() == sent["api_key"]


# -- OPENAPI AND CONFIGURATION -------------------------------------------------------------------


async def test_openapi_declares_the_bearer_scheme_on_the_key_routes_with_examples(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Supabase-shaped access token (HS256): `Authorization: Bearer <token>`.",
    }
    operations = spec["paths"][KEYS] | spec["paths"][f"{KEYS}/{{venue}}"]
    assert set(operations) == {"get", "put", "delete"}
    for operation in operations.values():
        assert operation["security"] == [{"HTTPBearer": []}]
        assert "401" in operation["responses"]
    put_body = spec["components"]["schemas"]["ExchangeKeyPut"]
    assert put_body["additionalProperties"] is False and put_body["examples"]
    assert put_body["properties"]["api_secret"]["writeOnly"] is True
    assert "example" in spec["components"]["schemas"]["ExchangeKeyPublic"]
    assert "security" not in spec["paths"]["/api/market/symbols"]["get"]


def test_without_a_jwt_secret_the_key_routes_answer_503_and_market_data_still_works(
    nats_server: Any, database_url: str, master_key_file: Path
) -> None:
    settings = gateway_settings(nats_server.url, database_url, master_key_file, jwt_secret=None)

    with serve_in_thread(create_app(settings)) as url:
        keys = httpx.get(f"{url}{KEYS}", headers=bearer(uuid4()))
        symbols = httpx.get(f"{url}/api/market/symbols")

    assert keys.status_code == 503
    assert keys.json()["error"] == {
        "code": "auth_not_configured",
        "message": "sign-in is not configured on this server: set CRYPTOPULSE_JWT_SECRET",
    }
    assert symbols.status_code == 200
