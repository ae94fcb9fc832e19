"""Factory of the agent process: the rules engine and the chat copilot.

Nothing happens at import. At start-up one ``RulesService`` per venue publishes what a crash left
in its outbox, loads its active rules and warms their charts from stored candles; then two
durable consumers feed it trade ticks and closed candles, and two loops reload changed rules
(which also retries firings a kill switch held back) and republish the outbox, every
``agent_rules_reload_s`` and ``agent_rules_outbox_s``. Market data older than
``agent_rules_stale_after_s`` (a backlog replayed after downtime) moves prices and charts but fires
nothing. Run one agent per deployment: the engine keeps the last price per market in memory
(a second replica would see every other tick); the database's compare-and-set still keeps a
firing single if two run.

The chat service (``services.agent.chat``) then opens the conversation memory through the
``checkpointer_factory`` argument and starts two more durable consumers: chat requests, answered
as streamed replies, and the risk gate's decisions, explained in the chat that asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from nats.aio.msg import Msg
from pydantic import ValidationError
from starlette.applications import Starlette

from services.agent.chat.checkpointer import CheckpointerFactory, postgres_checkpointer
from services.agent.chat.consumers import chat_consumers
from services.agent.metrics import AgentMetrics
from services.agent.rules.service import RulesService, is_stale
from shared.config.settings import AgentSettings
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.rules import RuleRepository
from shared.domain.enums import VenueName
from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.market import Candle, TradeTick
from shared.messaging.pull import Poison, PullConsumer
from shared.runtime.app import create_service_app
from shared.runtime.periodic import every, stop
from shared.runtime.service import ServiceRuntime

SERVICE = "agent"
CLOSE_TIMEOUT_S = 5.0


def create_app(
    settings: AgentSettings | None = None,
    *,
    checkpointer_factory: CheckpointerFactory = postgres_checkpointer,
) -> Starlette:
    """Return the agent's app; ``checkpointer_factory`` opens the chat's conversation memory."""
    agent_settings = settings or AgentSettings()
    runtime = ServiceRuntime(SERVICE, agent_settings)
    consumers: list[PullConsumer] = []
    tasks: list[asyncio.Task[None]] = []
    resources = AsyncExitStack()
    ready = asyncio.Event()
    chatting = asyncio.Event()

    async def on_start(rt: ServiceRuntime) -> None:
        assert rt.publisher is not None and rt.dead_letters is not None
        rt.checks["rules"] = ready.is_set
        rt.checks["chat"] = chatting.is_set
        sessionmaker = rt.sessionmaker()
        metrics = AgentMetrics(rt.registry, tuple(p.name for p in agent_settings.agent_llm_providers))
        services = {
            venue.value: RulesService(
                RuleRepository(sessionmaker), CandleRepository(sessionmaker), rt.publisher,
                venue=venue.value, metrics=metrics.rules,
            )
            for venue in VenueName
        }  # fmt: skip
        for service in services.values():
            await service.start()
        inputs: list[tuple[str, str, str, Callable[[Msg], Awaitable[None]]]] = [
            (
                subjects.trades(subjects.ANY, subjects.ANY),
                subjects.MARKET_TICKS.name,
                "ticks",
                _on_tick(services, timedelta(seconds=agent_settings.agent_rules_stale_after_s)),
            ),
            (
                subjects.candles(subjects.ANY, subjects.ANY, subjects.ANY),
                subjects.MARKET_CANDLES.name,
                "candles",
                _on_candle(services, timedelta(seconds=agent_settings.agent_rules_stale_after_s)),
            ),
        ]
        consumers.extend(
            PullConsumer(rt.jetstream, rt.dead_letters, stream=stream, subject=subject,
                         durable=f"agent-rules-{name}", handler=handler)
            for subject, stream, name, handler in inputs
        )  # fmt: skip
        tasks.extend(asyncio.create_task(c.run(), name="consumer") for c in consumers)
        tasks.append(
            every(agent_settings.agent_rules_reload_s, "reload", *(s.reload for s in services.values()))
        )
        tasks.append(
            every(agent_settings.agent_rules_outbox_s, "outbox", *(s.republish for s in services.values()))
        )
        ready.set()
        checkpointer = await resources.enter_async_context(checkpointer_factory(agent_settings))
        chat = chat_consumers(rt, agent_settings, checkpointer, metrics)
        consumers.extend(chat)
        tasks.extend(asyncio.create_task(c.run(), name="chat") for c in chat)
        chatting.set()

    async def on_stop(_: ServiceRuntime) -> None:
        try:
            await stop(tasks, consumers, timeout_s=CLOSE_TIMEOUT_S, what="agent")
        finally:
            await resources.aclose()

    return create_service_app(runtime, on_start=on_start, on_stop=on_stop)


def _on_tick(services: dict[str, RulesService], stale_after: timedelta) -> Callable[[Msg], Awaitable[None]]:
    async def handle(message: Msg) -> None:
        try:
            tick = TradeTick.model_validate_json(message.data)
        except ValidationError as error:
            raise Poison(f"invalid trade tick: {error}") from None
        fresh = not is_stale(tick.ts_event, utc_now(), stale_after)
        await services[tick.venue].on_tick(tick, evaluate=fresh)

    return handle


def _on_candle(services: dict[str, RulesService], stale_after: timedelta) -> Callable[[Msg], Awaitable[None]]:
    async def handle(message: Msg) -> None:
        try:
            candle = Candle.model_validate_json(message.data)
        except ValidationError as error:
            raise Poison(f"invalid candle: {error}") from None
        fresh = not is_stale(candle.close_time, utc_now(), stale_after)
        await services[candle.venue].on_candle(candle, evaluate=fresh)

    return handle


__all__ = ["create_app"]
