"""The graph's nodes: call the model, run the tools it asked for, and stop at the step bound."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable
from langgraph.runtime import Runtime

from services.agent.graph.context import ChatContext
from services.agent.graph.state import Rejection, State, human_texts, model_turns, tool_calls_so_far
from services.agent.graph.tools import GraphTool, ToolResult, ToolScope
from services.agent.llm.budget import TokenBudget

_log = logging.getLogger(__name__)


class Node(Protocol):
    def __call__(self, state: State, *, runtime: Runtime[ChatContext]) -> Awaitable[dict[str, Any]]: ...


BUDGET_SPENT = "You have used today's model budget. Plain commands still work offline, e.g. 'buy 0.1 BTC'."


def make_call_model(
    model: Runnable[LanguageModelInput, BaseMessage], prompt: str, budget: TokenBudget | None = None
) -> Node:
    """Return the node that asks the model for its next message."""

    async def call_model(state: State, *, runtime: Runtime[ChatContext]) -> dict[str, Any]:
        user = runtime.context.user_id
        if budget is not None and await budget.remaining(user) <= 0:
            return {"messages": [AIMessage(BUDGET_SPENT)]}
        # No config passed on purpose: LangGraph's context carries the callbacks that stream tokens.
        response = await model.ainvoke([SystemMessage(prompt), *state.messages])
        if not isinstance(response, AIMessage):
            raise TypeError(f"expected an AIMessage from the model, was {type(response).__name__}")
        if budget is not None and response.usage_metadata is not None:
            await budget.spend(user, response.usage_metadata["total_tokens"])
        return {"messages": [response]}

    return call_model


def make_run_tools(tools: Sequence[GraphTool]) -> Node:
    """Return the node that runs every tool call of the model's last message, in order."""
    by_name = {tool.name: tool for tool in tools}

    async def run_tools(state: State, *, runtime: Runtime[ChatContext]) -> dict[str, Any]:
        last = state.messages[-1]
        if not isinstance(last, AIMessage):
            raise ValueError(f"expected the model's message last, was {type(last).__name__}")
        ordinal = tool_calls_so_far(state.messages)
        user_texts = tuple(human_texts(state.messages))
        messages: list[BaseMessage] = []
        intents: list[str] = []
        rejections: list[Rejection] = []
        calls: list[tuple[str, str, dict[str, Any], str | None]]
        calls = [(c["name"], c["id"] or "", c["args"], None) for c in last.tool_calls]
        calls += [
            (c["name"] or "", c["id"] or "", {}, c["error"] or "unparsable arguments")
            for c in last.invalid_tool_calls
        ]
        for name, call_id, arguments, invalid in calls:
            scope = ToolScope(runtime.context.user_id, runtime.context.request_id, ordinal, user_texts)
            ordinal += 1
            result = await _run_one(by_name.get(name), name, arguments, invalid, scope)
            if result.refusal is not None:
                _log.warning("tool call refused", extra={"tool": name, "reason": result.refusal})
                rejections.append(Rejection(tool=name, call_id=call_id, reason=result.refusal))
            if result.intent_id is not None:
                intents.append(result.intent_id)
            messages.append(
                ToolMessage(
                    result.render(name),
                    tool_call_id=call_id,
                    name=name,
                    status="error" if result.refusal is not None else "success",
                    artifact=result.artifact,
                )
            )
        return {"messages": messages, "intents": intents, "rejections": rejections}

    return run_tools


async def _run_one(
    tool: GraphTool | None, name: str, arguments: dict[str, Any], invalid: str | None, scope: ToolScope
) -> ToolResult:
    if invalid is not None:
        return ToolResult(refusal=f"invalid arguments: {invalid}")
    if tool is None:
        return ToolResult(refusal=f"unknown tool {name!r}")
    try:
        return await tool.call(arguments, scope)
    except Exception as e:  # a tool's own failure (a database down) must not end the conversation
        _log.exception("tool failed", extra={"tool": name})
        return ToolResult(refusal=f"the {name} tool failed ({type(e).__name__}); try again later")


async def give_up(state: State) -> dict[str, Any]:
    """Answer every pending call as not run, then stop: the step bound ends a runaway loop."""
    last = state.messages[-1]
    pending = last.tool_calls if isinstance(last, AIMessage) else []
    messages: list[BaseMessage] = [
        ToolMessage("not run: step limit reached", tool_call_id=c["id"] or "", name=c["name"], status="error")
        for c in pending
    ]
    turns = model_turns(state.messages)
    messages.append(
        AIMessage(
            f"I stopped after {turns} steps without a final answer. Please rephrase or narrow the question."
        )
    )
    return {"messages": messages}
