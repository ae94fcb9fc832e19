"""The model settings over real HTTP: the server's providers on offer without keys or URLs, the
caller's choice and own provider stored and audited, the key write-only, bad input refused naming
its field with nothing stored, and each user reaching their own settings only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from cryptopulse.servers.nats import NatsServer
from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings, LlmProvider
from shared.db.models import ModelPreference
from shared.db.repositories.users import UserRecord
from shared.db.tenancy import claims_for, service_session, user_session
from tests.integration.api_gateway.trading_support import JWT_SECRET, bearer
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

PATH = "/api/settings/model"
SERVER_KEY = "sk-server-" + "s" * 30
OWN_KEY = "sk-own-" + "o" * 30 + "TAIL"
PROVIDERS = (
    LlmProvider(
        name="primary",
        base_url="https://api.openai.com/v1",
        model="gpt-4o-mini",
        api_key=SecretStr(SERVER_KEY),
    ),
    LlmProvider(name="lan", base_url="http://10.0.0.5:11434/v1", model="llama3.1:8b"),
)


@pytest.fixture(scope="module")
def model_gateway(
    nats_server: NatsServer, trading_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("model-gateway")
    settings = GatewaySettings(
        nats_url=nats_server.url,
        database_url=trading_database_url,
        master_key_file=folder / "master.key",
        web_dist_dir=folder / "no-web-build",
        jwt_secret=JWT_SECRET,
        agent_llm_providers=PROVIDERS,
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture
async def client(model_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=model_gateway, timeout=20) as http:
        yield http


async def test_a_new_user_sees_the_providers_on_offer_and_auto(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    response = await client.get(PATH, headers=bearer(alice.id))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["providers"] == [
        {"name": "primary", "model": "gpt-4o-mini"},
        {"name": "lan", "model": "llama3.1:8b"},
    ]
    assert (body["choice"], body["own"], body["updated_at"]) == ("auto", None, None)
    assert [p["name"] for p in body["presets"]] == ["openai", "gemini", "openrouter", "ollama", "custom"]
    assert SERVER_KEY not in response.text and "10.0.0.5" not in response.text


async def test_choosing_a_server_provider_is_stored_and_audited(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    auth = bearer(alice.id)

    changed = await client.put(PATH, json={"choice": "lan"}, headers=auth)
    read_back = await client.get(PATH, headers=auth)
    audit = await client.get("/api/audit", headers=auth)

    assert changed.status_code == 200, changed.text
    assert changed.json()["choice"] == "lan" and read_back.json() == changed.json()
    entry = audit.json()["data"][0]
    assert (entry["action"], entry["actor"]) == ("model_preference.set", f"user:{alice.id}")
    assert entry["details"] == {"changes": {"choice": {"old": "auto", "new": "lan"}}}


async def test_an_own_key_goes_in_and_never_comes_out(
    client: httpx.AsyncClient, alice: UserRecord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = bearer(alice.id)
    body = {"choice": "own", "own": {"preset": "openrouter", "model": "openai/gpt-4o", "api_key": OWN_KEY}}

    stored = await client.put(PATH, json=body, headers=auth)
    read_back = await client.get(PATH, headers=auth)
    audit = await client.get("/api/audit", headers=auth)

    assert stored.status_code == 200, stored.text
    assert stored.json()["own"] == {
        "preset": "openrouter",
        "model": "openai/gpt-4o",
        "base_url": None,
        "endpoint": "https://openrouter.ai/api/v1",
        "has_key": True,
    }
    assert read_back.json() == stored.json()
    for shown in (stored.text, read_back.text, audit.text, caplog.text):
        assert OWN_KEY not in shown and "TAIL" not in shown


async def test_the_model_can_change_while_the_stored_key_stays(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    auth = bearer(alice.id)
    first = {"preset": "custom", "model": "m1", "base_url": "https://models.example/v1", "api_key": OWN_KEY}
    await client.put(PATH, json={"choice": "own", "own": first}, headers=auth)

    renamed = await client.put(
        PATH,
        json={"own": {"preset": "custom", "model": "m2", "base_url": "https://models.example/v1"}},
        headers=auth,
    )
    moved = await client.put(
        PATH,
        json={"own": {"preset": "custom", "model": "m2", "base_url": "https://other.example/v1"}},
        headers=auth,
    )

    assert renamed.status_code == 200 and renamed.json()["own"]["has_key"] is True
    assert moved.status_code == 422
    assert moved.json()["error"]["message"].startswith("own.api_key: enter the key again")
    assert (await client.get(PATH, headers=auth)).json() == renamed.json()


async def test_deleting_the_key_forgets_the_own_provider_and_falls_back_to_auto(
    client: httpx.AsyncClient, alice: UserRecord
) -> None:
    auth = bearer(alice.id)
    own = {"preset": "openai", "model": "gpt-4o-mini", "api_key": OWN_KEY}
    await client.put(PATH, json={"choice": "own", "own": own}, headers=auth)

    deleted = await client.delete(f"{PATH}/key", headers=auth)
    again = await client.delete(f"{PATH}/key", headers=auth)

    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["choice"], deleted.json()["own"]) == ("auto", None)
    assert again.status_code == 404 and again.json()["error"]["code"] == "own_provider_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"choice": "gpt-5"}, "choice"),
        ({"choice": "own"}, "choice"),
        ({"choice": "auto", "unknown": 1}, "unknown"),
        ({"choice": "bad name!"}, "choice"),
        ({"own": {"preset": "openai", "model": "gpt-4o-mini"}}, "own.api_key"),
        ({"own": {"preset": "azure", "model": "m", "api_key": OWN_KEY}}, "own.preset"),
        ({"own": {"preset": "openai", "model": "gpt 4", "api_key": OWN_KEY}}, "own.model"),
        ({"own": {"preset": "custom", "model": "m", "base_url": "ftp://m.example/v1"}}, "own.base_url"),
        ({"own": {"preset": "custom", "model": "m", "base_url": "https://u:p@m.example/v1"}}, "own.base_url"),
        (
            {"own": {"preset": "custom", "model": "m", "base_url": "https://m.example/v1?key=x"}},
            "own.base_url",
        ),
        ({"own": {"preset": "custom", "model": "m"}}, "own.base_url"),
        ({"own": {"preset": "ollama", "model": "m", "api_key": "with space"}}, "own.api_key"),
        ({"own": {"preset": "ollama", "model": "m", "extra": True}}, "own.extra"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, alice: UserRecord, body: dict[str, Any], field: str | None
) -> None:
    auth = bearer(alice.id)
    before = (await client.get(PATH, headers=auth)).json()

    response = await client.put(PATH, json=body, headers=auth)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    if field is not None:
        assert error["message"].startswith(f"{field}:"), error
    assert "with space" not in error["message"]
    assert (await client.get(PATH, headers=auth)).json() == before
    audit = (await client.get("/api/audit", headers=auth)).json()["data"]
    assert audit == []


async def test_users_reach_only_their_own_settings(
    client: httpx.AsyncClient, alice: UserRecord, bob: UserRecord, db: Any
) -> None:
    await client.put(PATH, json={"choice": "offline"}, headers=bearer(bob.id))
    await client.put(PATH, json={"choice": "lan"}, headers=bearer(alice.id))

    # Through the API: the token's user is the only one there is.
    assert (await client.get(PATH, headers=bearer(bob.id))).json()["choice"] == "offline"
    assert (await client.get(PATH, headers=bearer(alice.id))).json()["choice"] == "lan"
    # In SQL, under Alice's claims: Bob's row is invisible and unwritable.
    async with user_session(db, claims_for(alice.id)) as session:
        seen = (await session.execute(select(ModelPreference.user_id))).scalars().all()
    assert seen == [alice.id]
    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(db, claims_for(alice.id)) as session:
            await session.execute(
                text("UPDATE model_preferences SET choice = 'auto' WHERE user_id = :bob"), {"bob": bob.id}
            )
    async with service_session(db) as session:
        bobs = await session.get(ModelPreference, bob.id)
    assert bobs is not None and bobs.choice == "offline"


async def test_without_a_token_the_settings_are_refused(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get(PATH),
        await client.put(PATH, json={"choice": "auto"}),
        await client.delete(f"{PATH}/key"),
    ):
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
