"""Where the graph goes after the model speaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from langchain_core.messages import AIMessage

from services.agent.graph.state import State, model_turns

Route = Literal["tools", "give_up", "__end__"]


def make_route_model_output(max_steps: int) -> Callable[[State], Route]:
    """Return the router: tools while the model calls them, ``give_up`` after ``max_steps`` turns."""
    if max_steps < 1:
        raise ValueError(f"expected max_steps >= 1, was {max_steps}")

    def route_model_output(state: State) -> Route:
        last = state.messages[-1] if state.messages else None
        if not isinstance(last, AIMessage):
            raise ValueError(f"expected the model's message last, was {type(last).__name__}")
        if not last.tool_calls and not last.invalid_tool_calls:
            return "__end__"
        if model_turns(state.messages) >= max_steps:
            return "give_up"
        return "tools"

    return route_model_output
