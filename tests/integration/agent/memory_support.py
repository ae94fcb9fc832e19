"""Databases of their own and a copilot graph on the real ChatOpenAI client, for the memory tests."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import SecretStr

from cryptopulse.servers.postgres import PostgresServer
from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph, build_graph
from services.agent.graph.market_tools import market_tools
from services.agent.graph.prompts import system_prompt
from services.agent.graph.run import run_config
from services.agent.graph.state import InputState, State
from services.agent.llm.budget import TokenBudget
from services.agent.llm.clients import build_fallback_chat
from shared.config.settings import LlmProvider
from tests.support.agent import btc_market
from tests.support.databases import new_database as empty_database

SYMBOLS = frozenset({"BTC/USDT"})


async def new_database(server: PostgresServer) -> str:
    """An empty database of the caller's own on the session's server; returns its URL."""
    return await empty_database(server.url, "cp_memory")


def copilot(
    model_url: str, checkpointer: BaseCheckpointSaver[Any], budget: TokenBudget | None = None
) -> CopilotGraph:
    chat = build_fallback_chat(
        [LlmProvider(name="local", base_url=model_url, model="m", api_key=SecretStr("sk-test"), timeout_s=5)]
    )
    assert chat is not None
    tools = market_tools(btc_market(), "paper", SYMBOLS)
    return build_graph(chat, tools, checkpointer, prompt=system_prompt(SYMBOLS), budget=budget)


async def ask(graph: CopilotGraph, words: str, context: ChatContext) -> State:
    result = await graph.ainvoke(
        InputState(messages=[HumanMessage(words)]), run_config(context), context=context
    )
    return State(**result)


def final_text(state: State) -> str:
    last = state.messages[-1]
    assert isinstance(last, AIMessage)
    return last.text


def conversation_sent(body: dict[str, object]) -> list[tuple[str, str]]:
    """The (role, content) pairs a model request carried after the system prompt."""
    messages = body["messages"]
    assert isinstance(messages, list)
    return [(m["role"], m.get("content") or "") for m in messages[1:]]
