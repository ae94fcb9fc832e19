"""The agent answers each chat with the provider order its user chose (``create_app`` on real NATS
and PostgreSQL, OpenAI-compatible servers over real HTTP): a chosen server provider answers
first, ``offline`` calls no model, the user's own provider answers first with the user's key,
a change applies from the next message, and a refused own key is named in the offline notice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.agent.chat.model_router import OWN_PRIVATE
from services.agent.chat.responder import OFFLINE_CHOSEN, OWN_REFUSED, offline_notice
from shared.config.settings import LlmProvider
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.model_preferences import ModelPreferenceRepository, OwnProviderChange
from shared.messages import subjects
from shared.secrets import EnvelopeCipher
from tests.integration.agent.chat_support import (
    USER,
    Bus,
    assert_streamed_in_order,
    connected_bus,
    migrated_database,
    running_agent,
    text_of,
)
from tests.support.openai_server import Reply, scripted_openai

pytestmark = [pytest.mark.postgres, pytest.mark.nats]

SERVER_KEY = SecretStr("sk-server-key")
OWN_KEY = "sk-users-own-key-" + "u" * 24


@pytest.fixture(scope="module")
async def chat_db(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server, "cp_model_pref")


@pytest.fixture
async def bus(fresh_nats: NatsServer) -> AsyncIterator[Bus]:
    async for connected in connected_bus(fresh_nats.url):
        yield connected


@pytest.fixture
def master_key(tmp_path: Path) -> Path:
    return tmp_path / "master.key"


@pytest.fixture
async def preferences(chat_db: str, master_key: Path) -> AsyncIterator[ModelPreferenceRepository]:
    """The gateway's side: the repository it stores preferences with, under the agent's master key."""
    engine = create_engine(chat_db)
    yield ModelPreferenceRepository(create_sessionmaker(engine), EnvelopeCipher(master_key))
    await engine.dispose()


def server_provider(name: str, url: str) -> LlmProvider:
    return LlmProvider(name=name, base_url=url, model=f"{name}-model", api_key=SERVER_KEY, timeout_s=5)


async def choose(
    preferences: ModelPreferenceRepository, choice: str, own: OwnProviderChange | None = None
) -> None:
    await preferences.set(
        uuid.UUID(USER), choice=choice, own=own, server_providers=frozenset({"first", "second"}), actor="test"
    )


async def ask(bus: Bus, text: str) -> str:
    request = bus.request(text)
    await bus.send(subjects.chat_requests(USER), request)
    chunks = await bus.reply_to(request.message_id)
    assert_streamed_in_order(chunks)
    return text_of(chunks)


async def test_the_chosen_server_provider_answers_and_the_first_is_not_called(
    bus: Bus, fresh_nats: NatsServer, chat_db: str, master_key: Path, preferences: ModelPreferenceRepository
) -> None:
    # Arrange
    await choose(preferences, "second")
    with (
        scripted_openai([Reply(content="from first")]) as (first, first_url),
        scripted_openai([Reply(content="from second")]) as (second, second_url),
    ):
        providers = [server_provider("first", first_url), server_provider("second", second_url)]
        with running_agent(fresh_nats.url, chat_db, providers, master_key_file=master_key):
            # Act
            answer = await ask(bus, "How is BTC doing?")
            await choose(preferences, "auto")
            after_change = await ask(bus, "And now?")

    # Assert
    assert answer == "from second"
    assert after_change == "from first"  # the change applies from the next message
    assert [r["model"] for r in second.requests] == ["second-model"]
    assert [r["model"] for r in first.requests] == ["first-model"]


async def test_offline_answers_with_the_parser_and_calls_no_model(
    bus: Bus, fresh_nats: NatsServer, chat_db: str, master_key: Path, preferences: ModelPreferenceRepository
) -> None:
    await choose(preferences, "offline")
    with (
        scripted_openai([Reply(content="never sent")]) as (server, url),
        running_agent(fresh_nats.url, chat_db, [server_provider("first", url)], master_key_file=master_key),
    ):
        answer = await ask(bus, "buy 0.01 BTC")

    assert server.requests == []
    assert answer.startswith(offline_notice(OFFLINE_CHOSEN) + "\nProposed: buy 0.01 BTC at market")
    (intent,) = await bus.intents()
    assert intent.symbol == "BTC/USDT"


async def test_the_users_own_provider_answers_first_with_the_users_key(
    bus: Bus, fresh_nats: NatsServer, chat_db: str, master_key: Path, preferences: ModelPreferenceRepository
) -> None:
    with (
        scripted_openai([Reply(content="from the server")]) as (server, server_url),
        scripted_openai([Reply(content="from your own"), Reply(status=503)]) as (own, own_url),
    ):
        await choose(preferences, "own", OwnProviderChange("custom", "my-model", own_url, SecretStr(OWN_KEY)))
        with running_agent(
            fresh_nats.url,
            chat_db,
            [server_provider("first", server_url)],
            master_key_file=master_key,
            agent_own_model_private_hosts=True,  # the test's provider listens on loopback
        ):
            answered_by_own = await ask(bus, "How is BTC doing?")
            answered_by_server = await ask(bus, "And ETH?")  # own answers 503: the server's is the fallback

    assert answered_by_own == "from your own"
    assert answered_by_server == "from the server"
    assert own.authorizations == [f"Bearer {OWN_KEY}"] * 2
    assert [r["model"] for r in own.requests] == ["my-model"] * 2
    assert server.authorizations == [f"Bearer {SERVER_KEY.get_secret_value()}"]


async def test_a_refused_own_key_is_named_in_the_offline_notice(
    bus: Bus, fresh_nats: NatsServer, chat_db: str, master_key: Path, preferences: ModelPreferenceRepository
) -> None:
    with scripted_openai([Reply(status=401)]) as (own, own_url):
        await choose(preferences, "own", OwnProviderChange("custom", "my-model", own_url, SecretStr(OWN_KEY)))
        with running_agent(
            fresh_nats.url, chat_db, [], master_key_file=master_key, agent_own_model_private_hosts=True
        ):
            answer = await ask(bus, "cancel all orders")

    assert len(own.requests) == 1
    assert answer.startswith(offline_notice(OWN_REFUSED) + "\nUnderstood: cancel every open order")


async def test_an_own_provider_on_a_private_network_is_never_called_unless_the_server_allows_it(
    bus: Bus, fresh_nats: NatsServer, chat_db: str, master_key: Path, preferences: ModelPreferenceRepository
) -> None:
    # Arrange: the user's "own provider" is an address only the agent's machine reaches
    with scripted_openai([Reply(content="from inside")]) as (inside, inside_url):
        await choose(
            preferences, "own", OwnProviderChange("custom", "my-model", inside_url, SecretStr(OWN_KEY))
        )
        # Act
        with running_agent(fresh_nats.url, chat_db, [], master_key_file=master_key):
            answer = await ask(bus, "cancel all orders")

    # Assert: the parser answered, saying why; nothing reached the address
    assert inside.requests == []
    assert answer.startswith(offline_notice(OWN_PRIVATE) + "\nUnderstood: cancel every open order")
