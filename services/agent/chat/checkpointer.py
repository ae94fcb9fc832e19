"""Where conversation memory lives: the graph's LangGraph checkpointer, opened by a factory.

``services.agent.main.create_app`` takes a ``CheckpointerFactory``: an async context manager
that opens the saver at start-up and closes it at shutdown. The product keeps conversations in
PostgreSQL (``postgres_checkpointer``, schema ``agent_memory``) so they survive restarts and are
shared by replicas; ``in_memory_checkpointer`` is for tests that need no database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from services.agent.memory import postgres_checkpointer as open_postgres_checkpointer
from shared.config.settings import AgentSettings

CheckpointerFactory = Callable[[AgentSettings], AbstractAsyncContextManager[BaseCheckpointSaver[Any]]]


@asynccontextmanager
async def postgres_checkpointer(settings: AgentSettings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Conversations in the database the settings name (migration 0007's ``agent_memory``)."""
    async with open_postgres_checkpointer(settings.database_url) as saver:
        yield saver


@asynccontextmanager
async def in_memory_checkpointer(_: AgentSettings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Conversations kept in this process only (lost at restart; one agent replica)."""
    yield InMemorySaver()
