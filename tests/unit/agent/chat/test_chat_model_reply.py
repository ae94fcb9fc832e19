"""The model's answer as text to stream, over the real client and a scripted server: every turn's
text in order, messages nodes write themselves, and a redelivered request replayed from memory."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from services.agent.chat.model_reply import TURN_SEPARATOR, answered, model_tokens
from services.agent.graph.chart_tools import chart_tools
from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph
from services.agent.graph.nodes import BUDGET_SPENT
from services.agent.graph.run import run_config
from services.agent.llm.budget import InMemoryTokenBudget
from shared.messages.charts import ChartSpec
from tests.support.agent import CONTEXT, RecordingSink, btc_market
from tests.support.openai_server import Call, Reply, scripted_openai
from tests.unit.agent.graph.support import graph_at
from tests.unit.agent.graph.tool_support import SYMBOLS, unreachable_accounts

PRICE_CALL = Call("price", {"symbol": "BTC/USDT"})


async def tokens(graph: CopilotGraph, text: str, context: ChatContext = CONTEXT) -> list[str | ChartSpec]:
    return [token async for token in model_tokens(graph, text, context)]


def test_answered_finds_the_finished_turn_of_the_request() -> None:
    call = {"name": "price", "args": {}, "id": "t1"}
    messages = [
        HumanMessage("hi", id="r1"),
        AIMessage("Hello."),
        HumanMessage("price?", id="r2"),
        AIMessage("Looking.", tool_calls=[call]),
        ToolMessage("data", tool_call_id="t1"),
        AIMessage("101.5"),
        HumanMessage("and now?", id="r3"),
        AIMessage("", tool_calls=[call]),
    ]
    assert answered(messages, "r1") == "Hello."
    assert answered(messages, "r2") == f"Looking.{TURN_SEPARATOR}101.5"
    assert answered(messages, "r3") is None  # interrupted after a tool call: answer again
    assert answered(messages, "r4") is None


async def test_the_text_of_every_model_turn_streams_in_order() -> None:
    script = [
        Reply(content=["Let me ", "look."], tool_calls=[PRICE_CALL]),
        Reply(content=["BTC is ", "at 101.5."]),
    ]
    with scripted_openai(script) as (server, url):
        said = await tokens(graph_at(url, RecordingSink()), "BTC price?")
    assert said == ["Let me ", "look.", TURN_SEPARATOR, "BTC is ", "at 101.5."]
    assert all(body.get("stream") is True for body in server.requests)  # tokens, not whole answers


async def test_a_redelivered_request_is_replayed_from_memory_without_asking_the_model() -> None:
    # Arrange
    with scripted_openai([Reply(content=["Hello ", "there."])]) as (server, url):
        graph = graph_at(url, RecordingSink())
        first = await tokens(graph, "hi")
        # Act
        again = await tokens(graph, "hi")
    # Assert
    assert first == ["Hello ", "there."] and again == ["Hello there."]
    assert len(server.requests) == 1
    state = await graph.aget_state(run_config(CONTEXT))
    humans = [m for m in state.values["messages"] if isinstance(m, HumanMessage)]
    assert [h.id for h in humans] == [CONTEXT.request_id]


async def test_messages_written_without_the_model_are_streamed_too() -> None:
    with scripted_openai([Reply(content="never")]) as (server, url):
        spent = await tokens(graph_at(url, RecordingSink(), budget=InMemoryTokenBudget(0)), "hi")
    assert spent == [BUDGET_SPENT] and server.requests == []

    loop = Reply(tool_calls=[PRICE_CALL])
    with scripted_openai([loop, loop]) as (_, url):
        stopped = await tokens(graph_at(url, RecordingSink(), max_steps=2), "price?")
    assert len(stopped) == 1 and stopped[0].startswith("I stopped after 2 steps")


async def test_a_chart_a_tool_drew_streams_whole_where_it_came_in_the_answer() -> None:
    chart = Call("chart", {"symbol": "BTC/USDT", "interval": "1h", "limit": 20, "trades": False})
    script = [Reply(content=["Drawing."], tool_calls=[chart]), Reply(content=["Here it is."])]
    extra = chart_tools(btc_market(), unreachable_accounts(), "paper", SYMBOLS)
    with scripted_openai(script) as (_, url):
        said = await tokens(graph_at(url, RecordingSink(), extra=extra), "show me a BTC chart")
    assert said[0] == "Drawing." and said[2:] == [TURN_SEPARATOR, "Here it is."]
    drawn = said[1]
    assert isinstance(drawn, ChartSpec) and drawn.symbol == "BTC/USDT" and len(drawn.candles) == 20
