"""Conversation memory in real PostgreSQL: a conversation outlives the process that held it, stays
in its own thread, can be forgotten, and lives in ``agent_memory`` as ``service_role``."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cryptopulse.servers.postgres import PostgresServer
from services.agent.graph.context import ChatContext
from services.agent.memory import (
    MemorySchemaError,
    expected_version,
    forget_conversation,
    libpq_conninfo,
    postgres_checkpointer,
)
from shared.db.engine import create_engine
from shared.db.migrate import upgrade_async
from tests.integration.agent.memory_support import ask, conversation_sent, copilot, final_text, new_database
from tests.support.openai_server import Call, Reply, scripted_openai

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
async def db_url(postgres_server: PostgresServer) -> str:
    url = await new_database(postgres_server)
    await upgrade_async(url)
    return url


def chat(user: str, conversation: str, request: str = "req-1") -> ChatContext:
    return ChatContext(user_id=user, request_id=request, conversation_id=conversation)


async def _scalar(url: str, sql: str, **params: object) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def test_a_conversation_is_remembered_by_a_new_process(db_url: str) -> None:
    # Arrange: one turn with a tool call, answered by a process that then stops.
    user = f"u{uuid4().hex[:8]}"
    script = [
        Reply(tool_calls=[Call("price", {"symbol": "BTC/USDT"}, id="call-1")]),
        Reply(content="BTC is at 101.5, Alice."),
        Reply(content="You are Alice."),
    ]
    with scripted_openai(script) as (server, model_url):
        async with postgres_checkpointer(db_url) as saver:
            await ask(copilot(model_url, saver), "I am Alice. BTC price?", chat(user, "c1"))
        # Act: a new saver and graph, as after a restart.
        async with postgres_checkpointer(db_url) as saver:
            state = await ask(copilot(model_url, saver), "Who am I?", chat(user, "c1", "req-2"))

    # Assert: the model was sent the whole conversation, tool result included.
    sent = conversation_sent(server.requests[2])
    assert [role for role, _ in sent] == ["user", "assistant", "tool", "assistant", "user"]
    assert sent[0] == ("user", "I am Alice. BTC price?") and sent[-1] == ("user", "Who am I?")
    assert sent[3] == ("assistant", "BTC is at 101.5, Alice.") and "101.5" in sent[2][1]
    assert final_text(state) == "You are Alice." and len(state.messages) == 6


async def test_conversations_are_kept_apart_by_user_and_by_conversation(db_url: str) -> None:
    alice, bob = f"a{uuid4().hex[:8]}", f"b{uuid4().hex[:8]}"
    firsts = [(alice, "c1", "alice one"), (bob, "c1", "bob one"), (alice, "c2", "alice two")]
    script = [Reply(content=f"ok {words}") for *_, words in firsts] + [Reply(content="again")] * 3
    with scripted_openai(script) as (server, model_url):
        async with postgres_checkpointer(db_url) as saver:
            graph = copilot(model_url, saver)
            for user, conversation, words in firsts:
                await ask(graph, words, chat(user, conversation))
            for user, conversation, _ in firsts:
                await ask(graph, "again?", chat(user, conversation, "req-2"))

    seconds = [conversation_sent(body) for body in server.requests[3:]]
    assert seconds == [
        [("user", words), ("assistant", f"ok {words}"), ("user", "again?")] for *_, words in firsts
    ]


async def _rows_of(url: str, context: ChatContext) -> list[int]:
    return [
        await _scalar(
            url, f"SELECT count(*) FROM agent_memory.{table} WHERE thread_id = :t", t=context.thread_id
        )
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
    ]


async def test_forgetting_a_conversation_deletes_it_and_nothing_else(db_url: str) -> None:
    # Arrange
    user = f"u{uuid4().hex[:8]}"
    kept, forgotten = chat(user, "kept"), chat(user, "forgotten")
    script = [Reply(content="one"), Reply(content="two"), Reply(content="fresh")]
    with scripted_openai(script) as (server, model_url):
        async with postgres_checkpointer(db_url) as saver:
            graph = copilot(model_url, saver)
            await ask(graph, "keep me", kept)
            await ask(graph, "forget me", forgotten)
            kept_rows, forgotten_rows = await _rows_of(db_url, kept), await _rows_of(db_url, forgotten)
            assert kept_rows[0] > 0 and forgotten_rows[0] > 0
            # Act
            await forget_conversation(saver, forgotten)
            await forget_conversation(saver, chat(user, "never-existed"))
            # Assert
            assert await _rows_of(db_url, forgotten) == [0, 0, 0]
            assert await _rows_of(db_url, kept) == kept_rows
            await ask(graph, "hello?", chat(user, "forgotten", "req-2"))

    assert conversation_sent(server.requests[2]) == [("user", "hello?")]


async def test_the_checkpoints_live_in_agent_memory_written_as_service_role(db_url: str) -> None:
    context = chat(f"u{uuid4().hex[:8]}", "c1")
    with scripted_openai([Reply(content="hi")]) as (_, model_url):
        async with postgres_checkpointer(db_url) as saver:
            await ask(copilot(model_url, saver), "hello", context)
            async with saver.conn.connection() as connection:
                identity = await (
                    await connection.execute(
                        "SELECT current_user AS role, current_setting('search_path') AS path"
                    )
                ).fetchone()

    assert identity == {"role": "service_role", "path": "agent_memory"}
    stored = await _scalar(
        db_url, "SELECT count(*) FROM agent_memory.checkpoints WHERE thread_id = :t", t=context.thread_id
    )
    assert stored > 0
    assert await _scalar(db_url, "SELECT to_regclass('public.checkpoints')") is None


async def test_a_database_without_migration_0007_is_refused_with_what_to_do(
    postgres_server: PostgresServer,
) -> None:
    url = await new_database(postgres_server)

    with pytest.raises(MemorySchemaError, match="run `cryptopulse migrate` \\(migration 0007\\)"):
        async with postgres_checkpointer(url):
            pass


async def test_a_database_it_cannot_reach_fails_at_once_with_the_servers_words(db_url: str) -> None:
    missing = make_url(db_url).set(database="cp_no_such_database")

    with pytest.raises(psycopg.OperationalError, match='database "cp_no_such_database" does not exist'):
        async with postgres_checkpointer(missing):
            pass


async def test_tables_older_than_the_library_expects_are_refused(postgres_server: PostgresServer) -> None:
    url = await new_database(postgres_server)
    await upgrade_async(url)
    last = expected_version()
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM agent_memory.checkpoint_migrations WHERE v = :v"), {"v": last}
        )
    await engine.dispose()

    with pytest.raises(MemorySchemaError, match=f"at checkpointer version {last}, was {last - 1}"):
        async with postgres_checkpointer(url):
            pass


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+asyncpg://app:p%40ss@db:5433/cp", "postgresql://app:p%40ss@db:5433/cp"),
        (
            SecretStr("postgresql+asyncpg://app:pw@db/cp?ssl=require"),
            "postgresql://app:pw@db/cp?sslmode=require",
        ),
        ("postgresql://app@127.0.0.1:5432/cp", "postgresql://app@127.0.0.1:5432/cp"),
    ],
)
def test_our_database_urls_become_libpq_ones(url: str | SecretStr, expected: str) -> None:
    assert libpq_conninfo(url) == expected


def test_a_url_of_another_database_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a PostgreSQL URL"):
        libpq_conninfo("mysql://app@db/cp")
