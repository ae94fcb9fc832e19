"""The agent process (``create_app``) on real NATS and PostgreSQL, and readers of what it published."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats
from nats.js import JetStreamContext

from cryptopulse.servers.postgres import PostgresServer
from services.agent.main import create_app
from shared.config.settings import AgentSettings, LlmProvider
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.users import UserRepository
from shared.messages import subjects
from shared.messages.chat import ChatReplied, ChatRequested
from shared.messages.intents import TradeIntentCreated
from shared.messages.system import DeadLettered
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.support.asgi_server import serve_in_thread
from tests.support.databases import migrated_database as new_database_at_head

USER = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
"""Chat users are accounts (``users`` rows): model use is counted against ``users.id``."""


async def migrated_database(postgres_server: PostgresServer, prefix: str) -> str:
    """A new database of its own, migrated to head, with the test accounts; return its URL."""
    database = await new_database_at_head(postgres_server.url, prefix)
    engine = create_engine(database)
    users = UserRepository(create_sessionmaker(engine))
    for user_id, name in ((USER, "alice"), (BOB, "bob")):
        await users.create(f"{name}@example.com", name, user_id=uuid.UUID(user_id))
    await engine.dispose()
    return database


@contextmanager
def running_agent(
    nats_url: str, db_url: str, providers: Sequence[LlmProvider] = (), **settings: Any
) -> Iterator[str]:
    """Serve the agent app (rules and chat) while the block runs; yield its base URL."""
    values: dict[str, Any] = {"agent_chat_chunk_chars": 40, "log_level": "WARNING", **settings}
    agent = AgentSettings(
        nats_url=nats_url, database_url=db_url, agent_llm_providers=tuple(providers), **values
    )
    with serve_in_thread(create_app(agent)) as url:
        yield url


@dataclass
class Bus:
    """The test's side of NATS: publish requests and decisions, read replies, intents, dead letters."""

    nc: Any
    js: JetStreamContext
    publisher: JetStreamPublisher

    def request(self, text: str, conversation_id: str = "c1", user_id: str = USER) -> ChatRequested:
        return ChatRequested(
            user_id=user_id, conversation_id=conversation_id, text=text, ts_event=datetime.now(UTC)
        )

    async def send(self, subject: str, message: Any) -> None:
        await self.publisher.publish(subject, message)

    async def stored(self, stream: str, subject: str) -> list[bytes]:
        """Every payload ``stream`` holds on ``subject``, in order."""
        info = await self.js.stream_info(stream)
        found = []
        for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
            message: Any = await self.js.get_msg(stream, seq)
            if message.subject == subject:
                found.append(message.data)
        return found

    async def replies(self, user_id: str = USER) -> list[ChatReplied]:
        data = await self.stored(subjects.CHAT.name, subjects.chat_replies(user_id))
        return [ChatReplied.from_json(d) for d in data]

    async def reply_to(self, request_id: str, within_s: float = 20, user_id: str = USER) -> list[ChatReplied]:
        """The chunks of the reply to ``request_id`` once its final chunk is stored."""
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            chunks = [r for r in await self.replies(user_id) if r.request_id == request_id]
            if any(c.final for c in chunks):
                return chunks
            assert asyncio.get_running_loop().time() < deadline, f"no final reply to {request_id}: {chunks}"
            await asyncio.sleep(0.1)

    async def intents(self, user_id: str = USER) -> list[TradeIntentCreated]:
        data = await self.stored(subjects.TRADING.name, subjects.intents(user_id))
        return [TradeIntentCreated.from_json(d) for d in data]

    async def dead_letters(self, count: int, within_s: float = 20) -> list[DeadLettered]:
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            data = await self.stored(subjects.DEAD_LETTER.name, subjects.dead_letters("agent"))
            if len(data) >= count:
                return [DeadLettered.from_json(d) for d in data]
            assert asyncio.get_running_loop().time() < deadline, f"{len(data)} dead letters, not {count}"
            await asyncio.sleep(0.1)

    async def all_acknowledged(self, durable: str, stream: str, count: int, within_s: float = 20) -> None:
        """Wait until the agent has acknowledged ``count`` messages on ``durable``."""
        deadline = asyncio.get_running_loop().time() + within_s
        while True:
            info = await self.js.consumer_info(stream, durable)
            floor = info.ack_floor.consumer_seq if info.ack_floor is not None else 0
            if (floor or 0) >= count and not info.num_ack_pending:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{durable} acknowledged too few: {info}"
            await asyncio.sleep(0.1)


async def connected_bus(nats_url: str) -> AsyncIterator[Bus]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js)
    try:
        yield Bus(nc, js, JetStreamPublisher(js))
    finally:
        await nc.close()


def text_of(chunks: Sequence[ChatReplied]) -> str:
    return "".join(c.text for c in chunks)


def assert_streamed_in_order(chunks: Sequence[ChatReplied]) -> None:
    """Chunks 0..n exactly once each, only the last final."""
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert [c.final for c in chunks] == [False] * (len(chunks) - 1) + [True]
