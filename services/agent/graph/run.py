"""How a chat request runs the graph: its memory thread and its step bound."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from services.agent.graph.context import ChatContext


def run_config(context: ChatContext, recursion_limit: int = 64) -> RunnableConfig:
    """The checkpointer thread comes from the context, never from text the user or model wrote."""
    return {"configurable": {"thread_id": context.thread_id}, "recursion_limit": recursion_limit}
