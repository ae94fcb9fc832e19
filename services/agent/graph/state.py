"""The graph's state: the conversation, and what the tools proposed or refused.

Per-request counts (model turns, proposals) are derived from the messages after the latest
human message rather than stored, so a checkpointed conversation needs no reset between turns.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.graph.message import add_messages


class Rejection(TypedDict):
    """A tool call refused before it had any effect, and why (kept for the audit and the tests)."""

    tool: str
    call_id: str
    reason: str


@dataclass
class InputState:
    """What a caller sends: the new message(s)."""

    messages: Annotated[Sequence[AnyMessage], add_messages] = field(default_factory=list)
    """The conversation; new messages are appended (or replace one with the same id)."""


@dataclass
class State(InputState):
    """Everything the nodes read and write."""

    intents: Annotated[list[str], operator.add] = field(default_factory=list)
    """Ids of the trade intents handed to the risk gate, in order."""
    rejections: Annotated[list[Rejection], operator.add] = field(default_factory=list)
    """Tool calls refused (bad arguments, unknown symbol, not asked for by the user, …)."""


def current_turn(messages: Sequence[AnyMessage]) -> Sequence[AnyMessage]:
    """Return the messages from the latest human message on (the request being answered)."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return messages[index:]
    return messages


def model_turns(messages: Sequence[AnyMessage]) -> int:
    """Model answers so far in the current request."""
    return sum(isinstance(m, AIMessage) for m in current_turn(messages))


def tool_calls_so_far(messages: Sequence[AnyMessage]) -> int:
    """Tool results so far in the current request: the next call's ordinal."""
    return sum(isinstance(m, ToolMessage) for m in current_turn(messages))


def human_texts(messages: Sequence[AnyMessage]) -> list[str]:
    """The user's own words in this conversation, oldest first (never a tool's or the model's)."""
    return [m.text for m in messages if isinstance(m, HumanMessage)]
