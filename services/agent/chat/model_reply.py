"""Answer with the model graph: stream the text of its turns, or replay an answer already given.

The request's message id becomes the id of its ``HumanMessage`` in the conversation memory, so a
redelivered request that was answered already (the agent stopped after answering, before the
ack) finds its answer there and replays it: no second model call and no second turn in memory.
A request cut off mid-answer runs again from where the memory stands: the model sees the tool
results it already had (an order it already proposed among them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from langchain_core.messages import AIMessage, AIMessageChunk, AnyMessage, HumanMessage, ToolMessage
from pydantic import ValidationError

from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph
from services.agent.graph.run import run_config
from services.agent.graph.state import InputState
from shared.messages.charts import ChartSpec

MODEL_NODE = "call_model"
TURN_SEPARATOR = "\n\n"
"""Between the texts of two model messages of one answer (before and after a tool call)."""


def answered(messages: Sequence[AnyMessage], request_id: str) -> str | None:
    """Return the finished answer to ``request_id`` found in ``messages``, or None if there is none."""
    for index, message in enumerate(messages):
        if isinstance(message, HumanMessage) and message.id == request_id:
            turn: list[AnyMessage] = []
            for later in messages[index + 1 :]:
                if isinstance(later, HumanMessage):
                    break
                turn.append(later)
            last = turn[-1] if turn else None
            if not isinstance(last, AIMessage) or last.tool_calls:
                return None  # cut off mid-answer: run again from where the memory stands
            return TURN_SEPARATOR.join(m.text for m in turn if isinstance(m, AIMessage) and m.text)
    return None


def chart_of(message: ToolMessage) -> ChartSpec | None:
    """The chart a tool drew for the app (its message's artifact), if any and if well formed."""
    artifact = message.artifact
    if not isinstance(artifact, dict) or "chart" not in artifact:
        return None
    try:
        return ChartSpec.model_validate(artifact["chart"])
    except ValidationError:
        return None  # our own tool made it; a malformed one is dropped, never sent on


async def model_tokens(
    graph: CopilotGraph, text: str, context: ChatContext
) -> AsyncIterator[str | ChartSpec]:
    """Yield the answer's text as the model streams it (see the module docstring), and each
    chart a tool drew, where it came in the answer.

    Messages a node writes without the model (a spent budget, the step bound) arrive whole and
    are yielded too. A replayed answer carries its text only.
    """
    config = run_config(context)
    snapshot = await graph.aget_state(config)
    values = snapshot.values if isinstance(snapshot.values, dict) else {}
    previous = answered(values.get("messages", []), context.request_id)
    if previous is not None:
        yield previous
        return
    said: str | None = None
    async for item in graph.astream(
        InputState(messages=[HumanMessage(text, id=context.request_id)]),
        config,
        context=context,
        stream_mode="messages",
    ):
        message, metadata = item if isinstance(item, tuple) else (None, None)
        if isinstance(message, ToolMessage):
            chart = chart_of(message)
            if chart is not None:
                yield chart
            continue
        if not isinstance(message, AIMessage) or not message.text:
            continue
        node = metadata.get("langgraph_node") if isinstance(metadata, dict) else None
        if isinstance(message, AIMessageChunk) and node != MODEL_NODE:
            continue
        if said is not None and message.id != said:
            yield TURN_SEPARATOR
        said = message.id or ""
        yield message.text
