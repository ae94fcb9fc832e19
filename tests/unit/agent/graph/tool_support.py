"""Scopes and tool sets for calling the copilot's tools directly, without a model."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.agent.graph.tools import GraphTool, ToolResult, ToolScope
from services.agent.rules.book import RuleBook
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.accounts import AccountReader
from shared.db.repositories.rules import RuleRepository

SYMBOLS = frozenset({"BTC/USDT", "ETH/USDT"})
USER = uuid.UUID(int=1)
NOWHERE = "postgresql://nobody@127.0.0.1:1/nothing"
"""A database that refuses every connection: a tool that reaches it fails the test loudly."""


def scope(*texts: str, user: str = str(USER), ordinal: int = 0) -> ToolScope:
    return ToolScope(user_id=user, request_id="req-1", ordinal=ordinal, user_texts=texts)


def unreachable_book() -> RuleBook:
    """Rules over ``NOWHERE``: for refusals that must happen before any database access."""
    return RuleBook(RuleRepository(create_sessionmaker(create_engine(NOWHERE))), SYMBOLS, "paper")


def unreachable_accounts() -> AccountReader:
    return AccountReader(create_sessionmaker(create_engine(NOWHERE)))


async def call(
    tools: Sequence[GraphTool], name: str, arguments: dict[str, object], at: ToolScope
) -> ToolResult:
    (tool,) = [t for t in tools if t.name == name]
    return await tool.call(arguments, at)
