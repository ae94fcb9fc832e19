"""A tool-calling round trip, proposals into a sink, streaming and the step bound, over real HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

from services.agent.graph.context import ChatContext
from services.agent.graph.nodes import BUDGET_SPENT
from services.agent.graph.tools import DATA_CLOSE, DATA_OPEN
from services.agent.llm.budget import InMemoryTokenBudget
from shared.domain.enums import IntentSource, OrderSide, OrderType
from tests.support.agent import CONTEXT, RecordingSink
from tests.support.openai_server import Call, Reply, scripted_openai
from tests.unit.agent.graph.support import ask, final_text, graph_at


def tool_messages(body: dict) -> list[dict]:
    return [m for m in body["messages"] if m["role"] == "tool"]


async def test_the_model_asks_for_a_price_and_answers_with_the_tools_result() -> None:
    # Arrange
    script = [Reply(tool_calls=[Call("price", {"symbol": "btcusdt"})]), Reply(content="BTC is at 101.5.")]
    sink = RecordingSink()
    with scripted_openai(script) as (server, url):
        graph = graph_at(url, sink)
        # Act
        state = await ask(graph, "What is BTC doing?", CONTEXT)
    # Assert
    assert final_text(state) == "BTC is at 101.5."
    first, second = server.requests
    assert first["messages"][0]["role"] == "system" and DATA_OPEN in first["messages"][0]["content"]
    assert {t["function"]["name"] for t in first["tools"]} == {
        "price",
        "candles",
        "indicator",
        "propose_order",
    }
    (tool,) = tool_messages(second)
    assert tool["content"].startswith(DATA_OPEN) and tool["content"].endswith(DATA_CLOSE)
    data = json.loads(tool["content"][len(DATA_OPEN) : -len(DATA_CLOSE)])
    assert data["price"] == "101.5" and data["symbol"] == "BTC/USDT"
    assert sink.intents == [] and state.rejections == []


async def test_propose_order_sends_exactly_one_validated_intent_for_the_calling_user() -> None:
    order = {
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "limit",
        "quantity": 0.1,
        "limit_price": "30000.5",
    }
    script = [Reply(tool_calls=[Call("propose_order", order)]), Reply(content="Proposed.")]
    sink = RecordingSink()
    with scripted_openai(script) as (_, url):
        state = await ask(graph_at(url, sink), "please buy 0.1 bitcoin at 30000.5", CONTEXT)
    (intent,) = sink.intents
    assert intent.user_id == "alice" and intent.source is IntentSource.MODEL
    assert (intent.symbol, intent.side, intent.order_type) == ("BTC/USDT", OrderSide.BUY, OrderType.LIMIT)
    assert intent.quantity == Decimal("0.1") and intent.limit_price == Decimal("30000.5")
    assert intent.message_id == intent.intent_id == intent.correlation_id
    assert state.intents == [intent.intent_id] and state.rejections == []


async def test_the_same_request_answered_twice_derives_the_same_intent_id() -> None:
    order = {"symbol": "ETH/USDT", "side": "sell", "order_type": "market", "quote_quantity": "250"}
    ids = []
    for _ in range(2):
        sink = RecordingSink()
        script = [Reply(tool_calls=[Call("propose_order", order, id="x")]), Reply(content="ok")]
        with scripted_openai(script) as (_, url):
            await ask(graph_at(url, sink), "sell $250 of ETH", CONTEXT)
        ids.append(sink.intents[0].intent_id)
    other = ChatContext(user_id="alice", request_id="req-2")
    sink = RecordingSink()
    script = [Reply(tool_calls=[Call("propose_order", order)]), Reply(content="ok")]
    with scripted_openai(script) as (_, url):
        await ask(graph_at(url, sink), "sell $250 of ETH", other)
    assert ids[0] == ids[1] != sink.intents[0].intent_id


async def test_a_model_that_keeps_calling_tools_is_stopped_at_the_step_bound() -> None:
    loop = Reply(tool_calls=[Call("price", {"symbol": "BTC/USDT"})])
    with scripted_openai([loop, loop, loop]) as (server, url):
        state = await ask(graph_at(url, RecordingSink(), max_steps=2), "price?", CONTEXT)
    assert len(server.requests) == 2
    assert final_text(state).startswith("I stopped after 2 steps")


async def test_a_spent_token_budget_answers_without_calling_the_model() -> None:
    budget = InMemoryTokenBudget(limit=10)
    with scripted_openai([Reply(content="first", usage=(10, 5))]) as (server, url):
        graph = graph_at(url, RecordingSink(), budget=budget)
        first = await ask(graph, "hello", CONTEXT)
        second = await ask(
            graph, "hello again", ChatContext(user_id="alice", request_id="req-2", conversation_id="c1")
        )
    assert final_text(first) == "first" and final_text(second) == BUDGET_SPENT
    assert len(server.requests) == 1
    assert await budget.remaining("alice") == 0 and await budget.remaining("bob") == 10
