"""The gateway's WebSocket once signed in: chat goes to the agent, and each user's events come back
to that user only — over real HTTP, against real NATS (JetStream) and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest
import websockets
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection

from cryptopulse.servers.postgres import PostgresServer
from services.api_gateway.api.ws import CHAT_PER_WINDOW
from services.api_gateway.main import create_app
from shared.auth.tokens import issue_token
from shared.config.settings import GatewaySettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade
from shared.db.repositories.users import UserRepository
from shared.domain.enums import DecisionOutcome, KillScope
from shared.messages import subjects
from shared.messages.base import Message, utc_now
from shared.messages.chat import ChatReplied, ChatRequested
from shared.messages.risk import RiskDecisionMade
from shared.messages.system import KillSwitchEngaged
from shared.messaging.publisher import JetStreamPublisher
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

Accounts = Callable[[], Awaitable[UUID]]
JWT_SECRET = SecretStr("gateway-socket-test-secret-" + "s" * 40)


@pytest.fixture(scope="module")
def gateway(
    nats_server: Any, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    upgrade(postgres_server.url)
    settings = GatewaySettings(
        nats_url=nats_server.url,
        database_url=postgres_server.url,
        jwt_secret=JWT_SECRET,
        web_dist_dir=Path(tmp_path_factory.mktemp("no-web")) / "missing",
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url.replace("http", "ws") + "/api/ws"


@pytest.fixture
async def bus(nats_server: Any) -> AsyncIterator[nats.NATS]:
    nc = await nats.connect(nats_server.url)
    yield nc
    await nc.close()


@pytest.fixture
async def accounts(postgres_server: PostgresServer, gateway: str) -> AsyncIterator[Accounts]:
    """Make a new account (a ``users`` row) and return its id; only accounts may sign in."""
    engine = create_engine(postgres_server.url)
    users = UserRepository(create_sessionmaker(engine))

    async def make() -> UUID:
        return (await users.create(f"{uuid4().hex[:12]}@example.com", "trader")).id

    yield make
    await engine.dispose()


def token(user: UUID, ttl: timedelta = timedelta(minutes=5)) -> str:
    return issue_token(JWT_SECRET, user, ttl=ttl)


async def ask(socket: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    await socket.send(json.dumps(frame))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
    return reply


async def signed_in(socket: ClientConnection, user: UUID) -> None:
    reply = await ask(socket, {"action": "auth", "token": token(user)})
    assert reply["type"] == "authenticated" and reply["user_id"] == str(user)


async def publish(bus: nats.NATS, subject: str, message: Message) -> None:
    await JetStreamPublisher(bus.jetstream()).publish(subject, message)


async def requests_of(bus: nats.NATS, user: UUID) -> list[ChatRequested]:
    """Every chat request stored on the user's subject, read back from the CHAT stream."""
    js = bus.jetstream()
    subscription = await js.subscribe(
        subjects.chat_requests(str(user)),
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    found: list[ChatRequested] = []
    try:
        while True:
            message = await subscription.next_msg(timeout=0.5)
            found.append(ChatRequested.from_json(message.data))
    except nats.errors.TimeoutError:
        pass
    finally:
        await subscription.unsubscribe()
    return found


def reply_for(user: UUID, text: str, subject_user: UUID | None = None) -> tuple[str, ChatReplied]:
    message = ChatReplied(
        user_id=str(user),
        conversation_id="default",
        request_id="r-1",
        sequence=0,
        text=text,
        final=True,
        ts_event=utc_now(),
    )
    return subjects.chat_replies(str(subject_user or user)), message


async def nothing_arrives(socket: ClientConnection, within_s: float = 0.4) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(socket.recv(), within_s)


# -- CHAT ----------------------------------------------------------------------------------------


async def test_a_signed_in_chat_message_is_stored_once_for_the_agent_even_when_resent(
    accounts: Accounts, gateway: str, bus: nats.NATS
) -> None:
    user = await accounts()
    async with websockets.connect(gateway) as socket:
        await signed_in(socket, user)
        frame = {
            "action": "chat",
            "text": "buy 0.01 BTC",
            "client_message_id": "m-1",
            "conversation_id": "c1",
        }
        first = await ask(socket, frame)
        again = await ask(socket, frame)  # e.g. resent after a reconnect
    assert first["type"] == "chat.accepted" and first["client_message_id"] == "m-1"
    assert again["request_id"] == first["request_id"]
    [stored] = await requests_of(bus, user)
    assert (stored.message_id, stored.user_id, stored.conversation_id, stored.text) == (
        first["request_id"],
        str(user),
        "c1",
        "buy 0.01 BTC",
    )


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"text": "", "client_message_id": "m"}, "invalid_request"),
        ({"text": "x" * 4001, "client_message_id": "m"}, "invalid_request"),
        ({"text": "hi"}, "invalid_request"),
        ({"text": "hi", "client_message_id": "m", "user_id": "someone-else"}, "invalid_request"),
        ({"text": "hi", "client_message_id": "m", "conversation_id": "../etc"}, "invalid_request"),
        ({"text": 42, "client_message_id": "m"}, "invalid_request"),
    ],
)
async def test_a_bad_chat_frame_is_refused_with_the_reason_and_nothing_is_published(
    accounts: Accounts, gateway: str, bus: nats.NATS, frame: dict[str, Any], code: str
) -> None:
    user = await accounts()
    async with websockets.connect(gateway) as socket:
        await signed_in(socket, user)
        reply = await ask(socket, {"action": "chat", **frame})
        assert reply["type"] == "error" and reply["code"] == code and ":" in reply["message"]
        assert reply.get("client_message_id") == frame.get("client_message_id")
        assert await ask(socket, {"action": "ping"}) == {"type": "pong"}
    assert await requests_of(bus, user) == []


async def test_chat_needs_a_valid_sign_in(gateway: str) -> None:
    async with websockets.connect(gateway) as socket:
        frame = {"action": "chat", "text": "buy 0.01 BTC", "client_message_id": "m-1"}
        assert (await ask(socket, frame))["code"] == "not_authenticated"
        refused = await ask(socket, {"action": "auth", "token": "not-a-jwt"})
        assert refused["code"] == "invalid_token"
        forged = issue_token(SecretStr("another-secret-" + "x" * 40), uuid4())
        assert (await ask(socket, {"action": "auth", "token": forged}))["code"] == "invalid_token"
        expired = issue_token(JWT_SECRET, uuid4(), now=datetime.now(UTC) - timedelta(hours=2))
        assert (await ask(socket, {"action": "auth", "token": expired}))["code"] == "invalid_token"
        no_account = issue_token(JWT_SECRET, uuid4())  # valid, but nobody signed up as this user
        assert (await ask(socket, {"action": "auth", "token": no_account}))["code"] == "no_account"
        assert (await ask(socket, frame))["code"] == "not_authenticated"


async def test_a_token_that_expires_while_connected_ends_the_sign_in(
    accounts: Accounts, gateway: str, bus: nats.NATS
) -> None:
    user = await accounts()
    async with websockets.connect(gateway) as socket:
        reply = await ask(socket, {"action": "auth", "token": token(user, ttl=timedelta(seconds=1))})
        assert reply["type"] == "authenticated"
        await asyncio.sleep(1.2)
        frame = {"action": "chat", "text": "buy 0.01 BTC", "client_message_id": "late"}
        await socket.send(json.dumps(frame))
        told = [json.loads(await asyncio.wait_for(socket.recv(), 5)) for _ in range(2)]
        assert [event["type"] for event in told] == ["auth_expired", "error"]
        assert told[1]["code"] == "not_authenticated"
    assert await requests_of(bus, user) == []


async def test_a_socket_sending_chat_faster_than_a_person_types_is_told_to_wait(
    accounts: Accounts, gateway: str
) -> None:
    async with websockets.connect(gateway) as socket:
        await signed_in(socket, await accounts())
        for i in range(CHAT_PER_WINDOW):
            frame = {"action": "chat", "text": f"price of BTC {i}", "client_message_id": f"m-{i}"}
            assert (await ask(socket, frame))["type"] == "chat.accepted"
        over = await ask(socket, {"action": "chat", "text": "one more", "client_message_id": "m-x"})
        assert over["code"] == "rate_limited" and "retry in" in over["message"]
        assert over["client_message_id"] == "m-x"


# -- EVENTS --------------------------------------------------------------------------------------


async def test_a_users_events_reach_only_that_users_sockets(
    accounts: Accounts, gateway: str, bus: nats.NATS
) -> None:
    alice, bob = await accounts(), await accounts()
    async with (
        websockets.connect(gateway) as alice_tab,
        websockets.connect(gateway) as alice_phone,
        websockets.connect(gateway) as bob_tab,
        websockets.connect(gateway) as anonymous,
    ):
        for socket, user in ((alice_tab, alice), (alice_phone, alice), (bob_tab, bob)):
            await signed_in(socket, user)
        await publish(bus, *reply_for(alice, "Bought."))
        decision = RiskDecisionMade(
            intent_id="i-1",
            user_id=str(alice),
            outcome=DecisionOutcome.DENIED,
            reason="order value 50000 exceeds 10000",
            check="max_order_value",
            ts_event=utc_now(),
        )
        await publish(bus, subjects.decisions(str(alice)), decision)
        for socket in (alice_tab, alice_phone):
            chat = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (chat["type"], chat["text"], chat["final"]) == ("chat.replied", "Bought.", True)
            denied = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (denied["type"], denied["outcome"], denied["check"]) == (
                "risk.decision",
                "denied",
                "max_order_value",
            )
        await nothing_arrives(bob_tab)
        await nothing_arrives(anonymous)


async def test_an_event_on_another_users_subject_is_dropped(
    accounts: Accounts, gateway: str, bus: nats.NATS
) -> None:
    alice, bob = await accounts(), await accounts()
    async with websockets.connect(gateway) as alice_tab, websockets.connect(gateway) as bob_tab:
        await signed_in(alice_tab, alice)
        await signed_in(bob_tab, bob)
        await publish(bus, *reply_for(alice, "for alice, on bob's subject", subject_user=bob))
        await nothing_arrives(alice_tab)
        await nothing_arrives(bob_tab)


async def test_a_global_kill_switch_reaches_every_signed_in_socket(
    accounts: Accounts, gateway: str, bus: nats.NATS
) -> None:
    async with websockets.connect(gateway) as one, websockets.connect(gateway) as two:
        await signed_in(one, await accounts())
        await signed_in(two, await accounts())
        engaged = KillSwitchEngaged(
            scope=KillScope.GLOBAL, actor="ops", reason="exchange incident", ts_event=utc_now()
        )
        await publish(bus, subjects.KILL_SWITCH, engaged)
        for socket in (one, two):
            event = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert (event["type"], event["scope"], event["reason"]) == (
                "sys.kill_engaged",
                "global",
                "exchange incident",
            )


async def test_signing_out_stops_the_users_events(accounts: Accounts, gateway: str, bus: nats.NATS) -> None:
    user = await accounts()
    async with websockets.connect(gateway) as socket:
        await signed_in(socket, user)
        assert await ask(socket, {"action": "sign_out"}) == {"type": "signed_out"}
        await publish(bus, *reply_for(user, "after sign-out"))
        await nothing_arrives(socket)
