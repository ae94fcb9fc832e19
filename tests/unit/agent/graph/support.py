"""Build the copilot graph with the real ChatOpenAI client pointed at a scripted local server."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import SecretStr

from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph, build_graph
from services.agent.graph.market_tools import market_tools
from services.agent.graph.order_tools import order_tools
from services.agent.graph.prompts import system_prompt
from services.agent.graph.run import run_config
from services.agent.graph.state import InputState, State
from services.agent.graph.tools import GraphTool
from services.agent.llm.budget import TokenBudget
from services.agent.llm.clients import build_fallback_chat
from shared.config.settings import LlmProvider
from shared.domain.enums import VenueName
from tests.support.agent import MemoryMarket, RecordingSink, btc_market

SYMBOLS = frozenset({"BTC/USDT", "ETH/USDT"})


def graph_at(
    url: str,
    sink: RecordingSink,
    market: MemoryMarket | None = None,
    extra: Sequence[GraphTool] = (),
    max_steps: int = 8,
    budget: TokenBudget | None = None,
) -> CopilotGraph:
    chat = build_fallback_chat(
        [LlmProvider(name="local", base_url=url, model="m", api_key=SecretStr("sk-test"), timeout_s=5)]
    )
    assert chat is not None
    tools = [
        *market_tools(market or btc_market(), "paper", SYMBOLS),
        *order_tools(sink, SYMBOLS, VenueName.PAPER),
        *extra,
    ]
    return build_graph(
        chat, tools, InMemorySaver(), prompt=system_prompt(SYMBOLS), max_steps=max_steps, budget=budget
    )


async def ask(graph: CopilotGraph, text: str, context: ChatContext) -> State:
    result = await graph.ainvoke(
        InputState(messages=[HumanMessage(text)]), run_config(context), context=context
    )
    return State(**result)


def final_text(state: State) -> str:
    last = state.messages[-1]
    assert isinstance(last, AIMessage)
    return last.text
