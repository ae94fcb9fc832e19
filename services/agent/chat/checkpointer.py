"""Where conversation memory lives: the graph's LangGraph checkpointer, opened by a factory.

``services.agent.main.create_app`` takes a ``CheckpointerFactory``; ``in_memory_checkpointer``
is the default until the Postgres one replaces it (same shape: an async context manager that
opens the saver at start-up and closes it at shutdown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from shared.config.settings import AgentSettings

CheckpointerFactory = Callable[[AgentSettings], AbstractAsyncContextManager[BaseCheckpointSaver[Any]]]


@asynccontextmanager
async def in_memory_checkpointer(_: AgentSettings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Conversations kept in this process only (lost at restart; one agent replica)."""
    yield InMemorySaver()
