"""Offline mode: with no model configured, the parser and indicator summaries answer the chat.

An order becomes a ``TradeIntentCreated`` (source ``parser``) for the risk gate, exactly as a
model's proposal would; a conditional order becomes a standing rule through the same
``RuleBook`` the model's ``create_rule`` tool uses; a question gets the price and an RSI/SMA
reading; anything else gets the reason and examples.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from services.agent.graph.context import ChatContext
from services.agent.graph.sink import IntentSink
from services.agent.graph.tools import Refused
from services.agent.graph.users import account_of
from services.agent.market import MarketReader, NoMarketData, describe, price_stats, summary
from services.agent.parser import (
    CancelCommand,
    CancelScope,
    OrderCommand,
    ParseError,
    QueryCommand,
    parse_command,
)
from services.agent.rules.book import RuleBook
from services.agent.rules.conditions import RuleDefinitionError
from services.agent.rules.describe import describe_order, describe_rule
from shared.db.repositories.rules import TooManyRules
from shared.domain.enums import IntentSource, OrderType, VenueName
from shared.messages.base import derived_id, utc_now
from shared.messages.intents import TradeIntentCreated

EXAMPLES = (
    "buy 0.1 BTC",
    "sell 2 ETH at 3500",
    "buy $500 of SOL if RSI(14) on the 1h chart < 30",
    "what is the price of BTC?",
    "cancel all orders",
)


@dataclass(frozen=True, slots=True)
class OfflineReply:
    text: str
    intent: TradeIntentCreated | None = None


class OfflineResponder:
    """Answers a chat message without a model (see the module docstring)."""

    def __init__(
        self,
        market: MarketReader,
        sink: IntentSink,
        symbols: Collection[str],
        venue: VenueName = VenueName.PAPER,
        *,
        rules: RuleBook,
    ) -> None:
        self._market = market
        self._sink = sink
        self._rules = rules
        self._symbols = frozenset(symbols)
        self._venue = venue

    async def reply(self, text: str, context: ChatContext) -> OfflineReply:
        try:
            command = parse_command(text)
        except ParseError as e:
            examples = "\n".join(f"- {example}" for example in EXAMPLES)
            return OfflineReply(
                f"I could not read that as a command: {e.reason}.\nTry, for example:\n{examples}"
            )
        if isinstance(command, CancelCommand):
            return OfflineReply(self._cancel(command))
        if command.symbol not in self._symbols:
            return OfflineReply(
                f"{command.symbol} is not traded here; known: {', '.join(sorted(self._symbols))}."
            )
        if isinstance(command, QueryCommand):
            return OfflineReply(await self._query(command.symbol))
        if command.kind == "conditional_order":
            return OfflineReply(await self._rule(command, context))
        intent = self._intent(command, context)
        await self._sink.submit(intent)
        return OfflineReply(
            f"Proposed: {describe_order(command)} ({command.symbol}). Sent to the risk gate, which checks "
            f"it and, in manual mode, waits for your approval. Intent {intent.intent_id}.",
            intent,
        )

    async def _rule(self, command: OrderCommand, context: ChatContext) -> str:
        try:
            record = await self._rules.create(account_of(context.user_id), command)
        except (Refused, RuleDefinitionError, TooManyRules) as e:
            return f"I could not make that a standing rule: {e}."
        return (
            f"Standing rule {record.id} created: {describe_rule(command)}. It fires once, and its order "
            "goes to the risk gate like any other; pause or delete it any time."
        )

    async def _query(self, symbol: str) -> str:
        try:
            stats = await price_stats(self._market, self._venue, symbol)
        except NoMarketData as e:
            return f"No market data yet: {e}."
        try:
            outlook = await summary(self._market, self._venue, symbol)
        except NoMarketData:
            outlook = None
        return describe(stats, outlook)

    def _intent(self, command: OrderCommand, context: ChatContext) -> TradeIntentCreated:
        intent_id = derived_id("intent", IntentSource.PARSER, context.user_id, context.request_id, 0)
        return TradeIntentCreated(
            message_id=intent_id,
            correlation_id=intent_id,
            intent_id=intent_id,
            user_id=context.user_id,
            source=IntentSource.PARSER,
            venue=self._venue,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.amount,
            quote_quantity=command.quote_amount,
            limit_price=command.limit_price if command.order_type is OrderType.LIMIT else None,
            rationale="offline parser",
            ts_event=utc_now(),
        )

    @staticmethod
    def _cancel(command: CancelCommand) -> str:
        target = {
            CancelScope.ALL: "every open order",
            CancelScope.SYMBOL: f"open {command.symbol} orders",
            CancelScope.ORDER: f"order {command.order_id}",
        }[command.scope]
        return f"Understood: cancel {target}. Cancel it from the orders page; chat cancels are not wired yet."
