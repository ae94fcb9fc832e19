"""``build_graph``: the copilot's tool-calling loop, assembled from its parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from services.agent.graph.context import ChatContext
from services.agent.graph.nodes import give_up, make_call_model, make_run_tools
from services.agent.graph.routing import make_route_model_output
from services.agent.graph.state import InputState, State
from services.agent.graph.tools import GraphTool, tool_schemas
from services.agent.llm.budget import TokenBudget

DEFAULT_MAX_STEPS = 8

CopilotGraph = CompiledStateGraph[State, ChatContext, InputState, State]


class ToolCallingModel(Protocol):
    """A chat model that tools can be bound to: ``ChatOpenAI`` or ``FallbackChat``."""

    def bind_tools(self, tools: Sequence[dict[str, Any]]) -> Runnable[LanguageModelInput, BaseMessage]: ...


def build_graph(
    model: ToolCallingModel,
    tools: Sequence[GraphTool],
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    prompt: str,
    max_steps: int = DEFAULT_MAX_STEPS,
    budget: TokenBudget | None = None,
) -> CopilotGraph:
    """Return the compiled graph: model → tools → model … until a final answer or ``max_steps``.

    ``checkpointer`` keeps each conversation (thread ``ChatContext.thread_id``); run it with
    ``context=ChatContext(...)`` so tools act for that user only.
    """
    bound = model.bind_tools(tool_schemas(tools))
    builder = StateGraph(State, context_schema=ChatContext, input_schema=InputState)
    builder.add_node("call_model", make_call_model(bound, prompt, budget))
    builder.add_node("tools", make_run_tools(tools))
    builder.add_node("give_up", give_up)
    builder.add_edge(START, "call_model")
    builder.add_conditional_edges("call_model", make_route_model_output(max_steps))
    builder.add_edge("tools", "call_model")
    builder.add_edge("give_up", END)
    return builder.compile(checkpointer=checkpointer, name="copilot")
