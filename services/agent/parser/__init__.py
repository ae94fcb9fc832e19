"""The offline command parser: plain English to a typed command, deterministic, no model.

It is what the chat answers with when no model is configured, and standing rules are built from
its ``conditional_order`` output, so it refuses what it is unsure of rather than guessing.
"""

from services.agent.parser.errors import ParseError
from services.agent.parser.model import (
    CancelCommand,
    CancelScope,
    Condition,
    Indicator,
    Op,
    OrderCommand,
    ParsedCommand,
    QueryCommand,
    Series,
    command_from_json,
    command_to_json,
)
from services.agent.parser.parse import parse_command

__all__ = [
    "CancelCommand",
    "CancelScope",
    "Condition",
    "Indicator",
    "Op",
    "OrderCommand",
    "ParseError",
    "ParsedCommand",
    "QueryCommand",
    "Series",
    "command_from_json",
    "command_to_json",
    "parse_command",
]
