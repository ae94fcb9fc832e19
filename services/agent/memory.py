"""Conversation memory in Postgres: LangGraph's ``AsyncPostgresSaver`` on a psycopg pool of its own.

The saver's tables live in the ``agent_memory`` schema, created by migration 0007 rather than by
the saver's ``setup()`` (the migration says why). Every pooled connection starts as
``service_role`` with ``agent_memory`` as its only ``search_path``, so the saver's unqualified
statements land there and nothing else is in reach. At start the factory checks that the
tables are at the version the installed library expects, and otherwise fails with what to do,
rather than fail on the first chat.

The saver serialises its own statements (one lock per saver), so a small pool is enough.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection
from psycopg.errors import InsufficientPrivilege, UndefinedTable
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr
from sqlalchemy.engine import URL

from services.agent.graph.context import ChatContext
from shared.db.engine import async_url

MEMORY_SCHEMA = "agent_memory"
MEMORY_ROLE = "service_role"
OPEN_TIMEOUT_S = 30.0


class MemorySchemaError(RuntimeError):
    """The ``agent_memory`` tables are missing, or at another version than the installed checkpointer's."""


def libpq_conninfo(url: str | SecretStr | URL) -> str:
    """Our database URL (``postgresql+asyncpg://…``, a ``SecretStr``, or libpq's) as psycopg takes it.

    asyncpg's ``ssl`` query parameter is libpq's ``sslmode`` (same values); the rest passes as is.
    """
    parsed = async_url(url).set(drivername="postgresql")
    if "ssl" in parsed.query:
        query = dict(parsed.query)
        query["sslmode"] = query.pop("ssl")
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


def expected_version() -> int:
    """The last checkpointer migration the installed ``langgraph-checkpoint-postgres`` knows."""
    return len(AsyncPostgresSaver.MIGRATIONS) - 1


def _connection_options() -> dict[str, Any]:
    # What the saver needs (as its own ``from_conn_string`` sets): statements commit on their
    # own, rows come as dicts, no server-side prepared statements; then our role and schema.
    return {
        "autocommit": True,
        "prepare_threshold": 0,
        "row_factory": dict_row,
        "options": f"-c role={MEMORY_ROLE} -c search_path={MEMORY_SCHEMA}",
        "application_name": "cryptopulse-agent-memory",
    }


async def _check_tables(conninfo: str) -> None:
    # One plain connection first: a refused login or a missing role fails here at once, with
    # the server's words, instead of as a pool timeout.
    try:
        async with await AsyncConnection.connect(conninfo, **_connection_options()) as connection:
            cursor = await connection.execute("SELECT max(v) AS v FROM checkpoint_migrations")
            row = await cursor.fetchone()
    except (UndefinedTable, InsufficientPrivilege) as e:
        raise MemorySchemaError(
            f"no checkpoint tables usable by {MEMORY_ROLE} in schema {MEMORY_SCHEMA} ({e}); "
            "run `cryptopulse migrate` (migration 0007)"
        ) from e
    version = None if row is None else row["v"]
    if version != expected_version():
        raise MemorySchemaError(
            f"expected the {MEMORY_SCHEMA} tables at checkpointer version {expected_version()}, "
            f"was {version}: the installed langgraph-checkpoint-postgres needs a migration of its tables"
        )


@asynccontextmanager
async def postgres_checkpointer(
    url: str | SecretStr | URL, *, min_size: int = 1, max_size: int = 4
) -> AsyncIterator[AsyncPostgresSaver]:
    """Open a checkpointer on the ``agent_memory`` schema for the block; close its pool after.

    Pass it to ``build_graph(checkpointer=…)``. Raises ``MemorySchemaError`` when the database
    has not been migrated to 0007 (or the library wants a newer table version), and psycopg's
    ``OperationalError`` when it cannot connect.
    """
    conninfo = libpq_conninfo(url)
    await _check_tables(conninfo)
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        conninfo,
        connection_class=AsyncConnection[DictRow],
        kwargs=_connection_options(),
        min_size=min_size,
        max_size=max_size,
        check=AsyncConnectionPool.check_connection,
        name="agent-memory",
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=OPEN_TIMEOUT_S)
        yield AsyncPostgresSaver(pool)
    finally:
        await pool.close()


async def forget_conversation(saver: BaseCheckpointSaver[Any], context: ChatContext) -> None:
    """Delete every checkpoint of ``context``'s conversation (its user's, by construction).

    The thread comes from ``ChatContext.thread_id``, which the user's id prefixes, so a
    conversation id cannot reach another user's memory. Deleting a missing conversation does nothing.
    """
    await saver.adelete_thread(context.thread_id)


__all__ = [
    "MEMORY_SCHEMA",
    "MemorySchemaError",
    "expected_version",
    "forget_conversation",
    "libpq_conninfo",
    "postgres_checkpointer",
]
