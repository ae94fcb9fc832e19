"""``copilot_tools``: every tool the copilot's graph offers, assembled over one database and sink.

Nothing is built at import; the agent's start-up calls this once per venue it chats for.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agent.graph.backtest_tools import backtest_tools
from services.agent.graph.chart_tools import chart_tools
from services.agent.graph.market_tools import market_tools
from services.agent.graph.order_tools import order_tools
from services.agent.graph.portfolio_tools import portfolio_tools
from services.agent.graph.rule_tools import rule_tools
from services.agent.graph.sink import IntentSink
from services.agent.graph.tools import GraphTool
from services.agent.rules.book import RuleBook
from shared.db.repositories.accounts import AccountReader
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.rules import RuleRepository
from shared.domain.enums import VenueName


def rule_book(
    sessionmaker: async_sessionmaker[AsyncSession],
    symbols: Collection[str],
    venue: VenueName,
    *,
    max_rules: int | None = None,
) -> RuleBook:
    """The rules of ``venue`` over PostgreSQL: what ``create_rule`` and the offline chat both use;
    a user holds at most ``max_rules`` live rules (None: no cap, for tests of other things)."""
    return RuleBook(RuleRepository(sessionmaker, max_live=max_rules), symbols, venue.value)


def copilot_tools(
    sessionmaker: async_sessionmaker[AsyncSession],
    sink: IntentSink,
    symbols: Collection[str],
    venue: VenueName,
    *,
    max_rules: int | None = None,
) -> list[GraphTool]:
    """Return market, order, portfolio, rule, chart and backtest tools, each scoped to the caller."""
    candles = CandleRepository(sessionmaker)
    accounts = AccountReader(sessionmaker)
    book = rule_book(sessionmaker, symbols, venue, max_rules=max_rules)
    return [
        *market_tools(candles, venue.value, symbols),
        *order_tools(sink, symbols, venue),
        *portfolio_tools(accounts, candles, venue.value, symbols),
        *rule_tools(book),
        *chart_tools(candles, accounts, venue.value, symbols),
        *backtest_tools(candles, book, venue.value, symbols),
    ]


__all__ = ["copilot_tools", "rule_book"]
