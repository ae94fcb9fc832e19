"""Tools the model may call: typed arguments, a scope the graph supplies, and results marked as data.

Each tool's arguments are a pydantic model that forbids unknown fields, so hostile or confused
output (an extra ``user_id``, NaN, a negative amount) is refused by validation before the tool
runs. The calling user comes from ``ToolScope``, which the graph fills from its run context.
Results are JSON wrapped in data markers, with ``<`` and ``>`` escaped so a result cannot close
its own marker; the system prompt says what is inside is never an instruction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

_log = logging.getLogger(__name__)

DATA_OPEN = "<tool_data>"
DATA_CLOSE = "</tool_data>"

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class ToolArgs(BaseModel):
    """Base of every tool's arguments: frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True)
class ToolScope:
    """What the graph, not the model, decides about a call."""

    user_id: str
    request_id: str
    ordinal: int
    """This call's position among the tool calls of the request: part of derived ids."""
    user_texts: tuple[str, ...]
    """The user's own messages, oldest first; the last is the request being answered."""


class Refused(ValueError):
    """A call the tool will not carry out; the reason is shown to the model and recorded."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool's answer: data for the model, plus what it did (an intent) or why it refused.

    ``artifact`` is for the app, never shown to the model (it becomes the ``ToolMessage``'s
    ``artifact``): a chart's full specification, say, where the model reads a summary.
    """

    data: Mapping[str, JsonValue] = field(default_factory=dict)
    intent_id: str | None = None
    refusal: str | None = None
    artifact: Mapping[str, JsonValue] | None = None

    def render(self, tool: str) -> str:
        """The text the model reads: JSON between data markers."""
        body: dict[str, JsonValue] = {"tool": tool}
        body.update({"refused": self.refusal} if self.refusal is not None else dict(self.data))
        text = json.dumps(body, ensure_ascii=True, sort_keys=True, default=str)
        escaped = text.replace("<", "\\u003c").replace(">", "\\u003e")  # JSON still, marker-proof
        return DATA_OPEN + escaped + DATA_CLOSE


class GraphTool(Protocol):
    """What the tools node needs of a tool."""

    @property
    def name(self) -> str: ...

    def schema(self) -> dict[str, object]: ...

    async def call(self, arguments: Mapping[str, object], scope: ToolScope) -> ToolResult: ...


ArgsT = TypeVar("ArgsT", bound=ToolArgs)


@dataclass(frozen=True, slots=True)
class Tool(Generic[ArgsT]):
    """A tool made of an argument model and an async function of (arguments, scope)."""

    name: str
    description: str
    args: type[ArgsT]
    run: Callable[[ArgsT, ToolScope], Awaitable[ToolResult]]

    def schema(self) -> dict[str, object]:
        """The OpenAI function-tool definition the model sees."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.args.model_json_schema(),
            },
        }

    async def call(self, arguments: Mapping[str, object], scope: ToolScope) -> ToolResult:
        """Validate ``arguments`` and run; a validation failure or ``Refused`` becomes a refusal."""
        try:
            parsed = self.args.model_validate(dict(arguments))
        except ValidationError as e:
            return ToolResult(refusal=f"invalid arguments: {_errors(e)}")
        try:
            return await self.run(parsed, scope)
        except Refused as e:
            return ToolResult(refusal=str(e))


def _errors(error: ValidationError) -> str:
    # "quantity: Input should be greater than 0; user_id: Extra inputs are not permitted"
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()]
    return "; ".join(parts)


def tool_schemas(tools: Sequence[GraphTool]) -> list[dict[str, object]]:
    return [tool.schema() for tool in tools]
