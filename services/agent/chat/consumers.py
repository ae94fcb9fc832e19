"""Assemble the chat service from settings: market reader, intent sink, responders, the model
graph (only when providers are configured) and the two durable consumers.

``agent-chat`` reads ``chat.request.*``: one user's requests are answered in order (the
consumer keys by subject, which names the user), different users' at the same time, at most
``agent_chat_concurrency`` at once; it keeps fetching while answers run, so one user's long
answer does not hold up anyone else. ``agent-decisions`` reads ``risk.decision.*``.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.agent.chat.conversations import ConversationMap, RememberingSink
from services.agent.chat.decisions import DecisionNotifier
from services.agent.chat.request_handler import ChatRequestHandler
from services.agent.chat.responder import ChatResponder, Chunking
from services.agent.graph.graph import CopilotGraph, build_graph
from services.agent.graph.prompts import system_prompt
from services.agent.graph.sink import IntentSink, JetStreamIntentSink
from services.agent.graph.toolbox import copilot_tools, rule_book
from services.agent.llm.budget import PostgresTokenBudget, TokenBudget
from services.agent.llm.clients import build_fallback_chat
from services.agent.llm.metrics import LlmMetrics
from services.agent.metrics import AgentMetrics
from services.agent.offline import OfflineResponder
from shared.config.settings import AgentSettings
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.token_usage import TokenUsageRepository
from shared.domain.enums import VenueName
from shared.messages import subjects
from shared.messaging.pull import PullConsumer
from shared.runtime.service import ServiceRuntime

CHAT_DURABLE = "agent-chat"
DECISIONS_DURABLE = "agent-decisions"
VENUE = VenueName.PAPER
"""The venue chat intents and market questions are for (the paper exchange until accounts pick one)."""


def build_model_graph(
    settings: AgentSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    sink: IntentSink,
    checkpointer: BaseCheckpointSaver[Any],
    budget: TokenBudget,
    metrics: LlmMetrics,
) -> CopilotGraph | None:
    """Return the copilot graph over the configured providers, or None in offline mode."""
    chat = build_fallback_chat(settings.agent_llm_providers, metrics)
    if chat is None:
        return None
    symbols = settings.agent_symbols
    return build_graph(
        chat,
        copilot_tools(sessionmaker, sink, symbols, VENUE),
        checkpointer,
        prompt=system_prompt(symbols),
        max_steps=settings.agent_max_tool_steps,
        budget=budget,
    )


def chat_consumers(
    rt: ServiceRuntime,
    settings: AgentSettings,
    checkpointer: BaseCheckpointSaver[Any],
    metrics: AgentMetrics,
) -> list[PullConsumer]:
    """Return the chat and decision consumers (not yet running) of the agent in ``rt``."""
    if rt.publisher is None or rt.dead_letters is None:
        raise RuntimeError("the chat service needs a connected runtime")
    sessionmaker = rt.sessionmaker()
    market = CandleRepository(sessionmaker)
    conversations = ConversationMap()
    sink = RememberingSink(JetStreamIntentSink(rt.publisher), conversations)
    budget = PostgresTokenBudget(TokenUsageRepository(sessionmaker), settings.agent_daily_token_budget)
    graph = build_model_graph(settings, sessionmaker, sink, checkpointer, budget, metrics.llm)
    rules = rule_book(sessionmaker, settings.agent_symbols, VENUE)
    responder = ChatResponder(
        OfflineResponder(market, sink, settings.agent_symbols, VENUE, rules=rules),
        graph=graph,
        budget=budget,
        metrics=metrics.chat,
        chunking=Chunking(settings.agent_chat_chunk_chars, settings.agent_chat_flush_s),
    )
    handler = ChatRequestHandler(rt.publisher, responder)
    decisions = DecisionNotifier(rt.publisher, conversations)
    return [
        PullConsumer(
            rt.jetstream,
            rt.dead_letters,
            stream=subjects.CHAT.name,
            subject=subjects.chat_requests(subjects.ANY),
            durable=CHAT_DURABLE,
            handler=handler.on_request,
            batch=settings.agent_chat_concurrency,
            ack_wait_s=settings.agent_chat_ack_wait_s,
            overlap=True,  # a long answer must not hold up other users' next messages
        ),
        PullConsumer(
            rt.jetstream,
            rt.dead_letters,
            stream=subjects.TRADING.name,
            subject=subjects.decisions(subjects.ANY),
            durable=DECISIONS_DURABLE,
            handler=decisions.on_decision,
        ),
    ]
