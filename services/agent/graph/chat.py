"""Run one chat request through the graph, yielding the model's tokens as they arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator

from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableConfig

from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph
from services.agent.graph.state import InputState


def run_config(context: ChatContext, recursion_limit: int = 64) -> RunnableConfig:
    """The checkpointer thread comes from the context, never from text the user or model wrote."""
    return {"configurable": {"thread_id": context.thread_id}, "recursion_limit": recursion_limit}


async def stream_reply(graph: CopilotGraph, text: str, context: ChatContext) -> AsyncIterator[str]:
    """Yield the text of the model's streamed tokens, in order, for the gateway to forward."""
    async for item in graph.astream(
        InputState(messages=[HumanMessage(text)]),
        run_config(context),
        context=context,
        stream_mode="messages",
    ):
        chunk, metadata = item if isinstance(item, tuple) else (None, None)
        from_model = isinstance(metadata, dict) and metadata.get("langgraph_node") == "call_model"
        if from_model and isinstance(chunk, AIMessageChunk) and chunk.text:
            yield chunk.text
