"""Standing-rule tools: ``create_rule``, ``list_rules``, ``pause_rule``, ``resume_rule``, ``delete_rule``.

A rule trades later without anyone watching, so creating one passes the same defences as
``propose_order``: strict arguments (the parser's ``Condition`` model, exact bounded amounts),
known markets, the engine's own ``check``, and grounding in the user's words (side and asset).
Changing a rule's state needs the verb in the user's latest message, so text inside a tool
result cannot resume a paused rule. Another user's rule id is refused as "no such rule".
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from pydantic import Field, model_validator

from services.agent.graph.market_tools import require_known
from services.agent.graph.order_tools import check_asked, check_trade_grounded
from services.agent.graph.tools import GraphTool, JsonValue, Refused, Tool, ToolArgs, ToolResult, ToolScope
from services.agent.graph.users import account_of
from services.agent.parser.model import Bounded, Condition, OrderCommand
from services.agent.rules.book import NoSuchRule, RuleBook, RuleNotMovable
from services.agent.rules.conditions import RuleDefinitionError
from services.agent.rules.describe import describe_rule
from shared.db.repositories.rules import RuleRecord, TooManyRules
from shared.domain.enums import OrderSide, OrderType
from shared.domain.symbols import Symbol

MAX_CONDITIONS = 5

PAUSE_WORDS = frozenset({"pause", "suspend", "stop", "halt", "hold", "disable"})
RESUME_WORDS = frozenset({"resume", "unpause", "reactivate", "restart", "continue", "enable", "reenable"})
DELETE_WORDS = frozenset({"delete", "remove", "cancel", "drop", "discard"})

Move = Callable[[uuid.UUID, uuid.UUID], Awaitable[RuleRecord]]


class RuleArgs(ToolArgs):
    """A conditional order, as the parser writes it: the order, and when to place it."""

    symbol: Symbol = Field(description="Market the order trades, as BASE/QUOTE, e.g. BTC/USDT.")
    side: OrderSide
    order_type: OrderType = OrderType.MARKET
    amount: Bounded | None = Field(None, description="Base-asset quantity, a decimal string.")
    quote_amount: Bounded | None = Field(None, description="Quote-asset amount (market orders only).")
    limit_price: Bounded | None = Field(None, description="Required for a limit order, absent otherwise.")
    conditions: tuple[Condition, ...] = Field(
        min_length=1,
        max_length=MAX_CONDITIONS,
        description='All must hold, e.g. [{"indicator": "price", "symbol": "BTC/USDT", "op": "<", '
        '"value": "30000"}] or [{"indicator": "rsi", "symbol": "BTC/USDT", "period": 14, '
        '"interval": "1h", "op": "<", "value": "30"}]. ops: < <= > >= crosses_above crosses_below '
        "rising falling (the last two take no value).",
    )

    @model_validator(mode="after")
    def _an_order(self) -> RuleArgs:
        self.command()  # the parser model's own coherence rules (one amount, limit ⇔ price)
        return self

    def command(self) -> OrderCommand:
        return OrderCommand(
            kind="conditional_order",
            side=self.side,
            symbol=self.symbol,
            order_type=self.order_type,
            amount=self.amount,
            quote_amount=self.quote_amount,
            limit_price=self.limit_price,
            conditions=self.conditions,
        )


class ListRulesArgs(ToolArgs):
    pass


class RuleIdArgs(ToolArgs):
    rule_id: uuid.UUID = Field(description="The rule's id, as list_rules shows it.")


def rule_view(record: RuleRecord) -> dict[str, JsonValue]:
    """A stored rule for the model: id, status and what it does, in words."""
    try:
        description = describe_rule(OrderCommand.model_validate(record.definition))
    except ValueError:
        description = "(a definition the engine cannot read)"
    return {
        "id": str(record.id),
        "status": str(record.status),
        "symbol": record.symbol,
        "description": description,
        "fires": record.fires,
        "created_at": record.created_at.isoformat(),
        "last_fired_at": None if record.last_fired_at is None else record.last_fired_at.isoformat(),
    }


def rule_tools(book: RuleBook) -> list[GraphTool]:
    """Return the rule tools over ``book``, each acting for the scope's user only."""

    async def create_rule(args: RuleArgs, scope: ToolScope) -> ToolResult:
        user = account_of(scope.user_id)
        require_known(args.symbol, book.symbols)
        check_trade_grounded(args.side, args.symbol, scope.user_texts)
        try:
            record = await book.create(user, args.command())
        except (RuleDefinitionError, TooManyRules) as e:
            raise Refused(str(e)) from e
        return ToolResult({"status": "created: active until it fires once", "rule": rule_view(record)})

    async def list_rules(_: ListRulesArgs, scope: ToolScope) -> ToolResult:
        records = await book.list(account_of(scope.user_id))
        return ToolResult({"rules": [rule_view(r) for r in records]})

    def mover(words: frozenset[str], what: str, move: Move) -> Tool[RuleIdArgs]:
        async def run(args: RuleIdArgs, scope: ToolScope) -> ToolResult:
            user = account_of(scope.user_id)
            check_asked(words, f"{what} a rule", scope.user_texts)
            try:
                record = await move(user, args.rule_id)
            except (NoSuchRule, RuleNotMovable) as e:
                raise Refused(str(e)) from e
            return ToolResult({"rule": rule_view(record)})

        return Tool(f"{what}_rule", f"{what.capitalize()} one of the user's standing rules.", RuleIdArgs, run)

    return [
        Tool(
            "create_rule",
            "Create a standing rule: an order placed (through the risk gate) once all conditions hold. "
            "Only when the user asked for it.",
            RuleArgs,
            create_rule,
        ),
        Tool("list_rules", "The user's standing rules and their status.", ListRulesArgs, list_rules),
        mover(PAUSE_WORDS, "pause", book.pause),
        mover(RESUME_WORDS, "resume", book.resume),
        mover(DELETE_WORDS, "delete", book.delete),
    ]


__all__ = ["MAX_CONDITIONS", "RuleArgs", "rule_tools", "rule_view"]
