"""Intents remember the conversation that asked for them, within a bound."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from services.agent.chat.conversations import (
    DEFAULT_CONVERSATION,
    ConversationMap,
    Origin,
    RememberingSink,
    in_conversation,
    summarize,
)
from shared.domain.enums import IntentSource, OrderSide, OrderType
from shared.messages.intents import TradeIntentCreated
from tests.support.agent import RecordingSink


def intent(intent_id: str, **fields: object) -> TradeIntentCreated:
    values: dict[str, object] = {
        "intent_id": intent_id, "user_id": "alice", "source": IntentSource.PARSER, "symbol": "BTC/USDT",
        "side": OrderSide.BUY, "order_type": OrderType.MARKET, "quantity": Decimal("0.010"),
        "ts_event": datetime.now(UTC), **fields,
    }  # fmt: skip
    return TradeIntentCreated.model_validate(values)


def test_an_intent_is_summarized_by_side_amount_market_and_price() -> None:
    assert summarize(intent("a")) == "buy 0.01 BTC/USDT at market"
    limit = intent("b", side=OrderSide.SELL, order_type=OrderType.LIMIT, limit_price=Decimal("3500.00"))
    assert summarize(limit) == "sell 0.01 BTC/USDT at 3500"
    spend = intent("c", quantity=None, quote_quantity=Decimal("100"))
    assert summarize(spend) == "buy 100 USDT of BTC/USDT at market"


def test_the_map_forgets_the_oldest_beyond_its_size() -> None:
    conversations = ConversationMap(max_size=2)
    for name in ("a", "b", "c"):
        conversations.remember(name, Origin(f"conv-{name}", name))
    assert len(conversations) == 2
    assert conversations.origin("a") is None
    assert conversations.origin("c") == Origin("conv-c", "c")


async def test_the_sink_records_the_current_conversation_before_handing_the_intent_on() -> None:
    # Arrange
    conversations = ConversationMap()
    inner = RecordingSink()
    sink = RememberingSink(inner, conversations)

    async def ask(conversation_id: str, intent_id: str) -> None:
        with in_conversation(conversation_id):
            await asyncio.sleep(0)
            await asyncio.create_task(sink.submit(intent(intent_id)))  # as the graph's own tasks do

    # Act: two conversations at once, and an intent from outside any (a rule)
    await asyncio.gather(ask("c1", "i-1"), ask("c2", "i-2"))
    await sink.submit(intent("i-3"))
    # Assert
    assert [i.intent_id for i in inner.intents] == ["i-1", "i-2", "i-3"]
    origins = [conversations.origin(i) for i in ("i-1", "i-2", "i-3")]
    assert [o.conversation_id if o else None for o in origins] == ["c1", "c2", DEFAULT_CONVERSATION]
