"""Factory of the risk_gate process: decides every intent of one venue.

Nothing happens at import. At start-up it loads the venue's listing (symbols and filters),
subscribes to trade ticks for reference prices, and starts four durable consumers (intents,
approvals, mode changes, the kill switch) and three loops (approval expiry, the outbox, the
listing refresh). Readiness (``/readyz``) and the consumers wait for the listing: without it every
intent would be refused as an unknown symbol. Replicas share the durable consumers; the per-user
row lock in Postgres keeps their decisions consistent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
from nats.aio.msg import Msg
from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from services.risk_gate.decider import Decider
from services.risk_gate.gauges import refresh_gauges
from services.risk_gate.handlers import Handlers
from services.risk_gate.markets import Listing, load_listing
from services.risk_gate.metrics import RiskMetrics
from services.risk_gate.published import PublishedMarks
from services.risk_gate.references import ReferencePrices
from shared.config.settings import RiskGateSettings
from shared.db.service_pool import create_service_engine, create_service_pool, create_service_sessionmaker
from shared.messages import subjects
from shared.messages.market import TradeTick
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.pull import PullConsumer
from shared.runtime.app import create_service_app
from shared.runtime.periodic import every, stop
from shared.runtime.service import ServiceRuntime

SERVICE = "risk_gate"
CLOSE_TIMEOUT_S = 5.0
OUTBOX_AGE = timedelta(seconds=5)
"""A stored decision unpublished for this long was orphaned by a crash: publish it again."""
FIRST_LISTING_RETRY_S = 1.0
POOL_SIZE = 5
"""As every service's (plus SQLAlchemy's overflow of 10): approvals, expiry, kills, marks, audit."""
DECISION_POOL_SIZE = 5
"""Connections for decisions (``decision_store``): a consumer decides one fetched batch at a time."""
_log = logging.getLogger(__name__)


def create_app(settings: RiskGateSettings | None = None) -> Starlette:
    settings = settings or RiskGateSettings()
    runtime = ServiceRuntime(SERVICE, settings)
    listing = Listing()
    references = ReferencePrices()
    consumers: list[PullConsumer] = []
    tasks: list[asyncio.Task[None]] = []
    engines: list[AsyncEngine] = []
    pools: list[asyncpg.Pool] = []
    marks: list[PublishedMarks] = []

    async def on_start(rt: ServiceRuntime) -> None:
        assert rt.publisher is not None and rt.dead_letters is not None
        venue = settings.risk_gate_venue
        paper_url = settings.risk_gate_paper_url if venue == "paper" else None
        await load_listing(listing, venue=venue, paper_url=paper_url)
        rt.checks["listing"] = lambda: listing.loaded
        engine = create_gate_engine(settings.database_url)
        engines.append(engine)
        sessionmaker = create_service_sessionmaker(engine)
        pools.append(await create_decision_pool(settings.database_url))
        metrics = RiskMetrics(rt.registry)
        decider = Decider(sessionmaker, pools[0], listing, references, venue=venue, metrics=metrics)
        marks.append(PublishedMarks(sessionmaker))
        handlers = Handlers(
            decider, rt.publisher, marks[0], sessionmaker, listing, venue=venue, metrics=metrics
        )
        await rt.nats.subscribe(subjects.trades(venue, subjects.ANY), cb=_tick_observer(references))
        consumers.extend(_consumers(rt, rt.dead_letters, handlers, settings))

        async def consume(consumer: PullConsumer) -> None:
            await listing.ready.wait()
            await consumer.run()

        async def expire() -> None:
            for out in await decider.expire():
                await handlers.publish(out)

        async def republish() -> None:
            for out in await decider.unpublished(OUTBOX_AGE):
                await handlers.publish(out)

        async def gauges() -> None:
            await refresh_gauges(sessionmaker, metrics)

        async def refresh() -> None:
            while True:  # every second until a first listing loads (the venue may start after us)
                await asyncio.sleep(
                    settings.risk_gate_markets_refresh_s if listing.loaded else FIRST_LISTING_RETRY_S
                )
                await load_listing(listing, venue=venue, paper_url=paper_url)

        tasks.extend(asyncio.create_task(consume(c), name="consumer") for c in consumers)
        tasks.append(every(settings.risk_gate_expiry_interval_s, "expiry", expire))
        tasks.append(every(OUTBOX_AGE.total_seconds(), "outbox", republish))
        tasks.append(every(settings.risk_gate_expiry_interval_s, "gauges", gauges))
        tasks.append(asyncio.create_task(refresh(), name="listing"))
        tasks.append(asyncio.create_task(marks[0].run(), name="published"))

    async def on_stop(_: ServiceRuntime) -> None:
        await stop(tasks, consumers, timeout_s=CLOSE_TIMEOUT_S, what="risk gate")
        await _close(marks, engines, pools)

    return create_service_app(runtime, on_start=on_start, on_stop=on_stop)


def create_gate_engine(url: str | SecretStr) -> AsyncEngine:
    """The gate's ORM pool (approvals, expiry, kills, the outbox), ``service_role`` from each
    connection's startup parameters (no role statement per transaction), and without the pre-ping
    the shared engine does on every checkout (a round trip per transaction). Safe here: a
    connection PostgreSQL dropped fails its statement with a disconnect error, SQLAlchemy then
    invalidates the whole pool, and the transaction, never committed, is retried when its message
    is redelivered."""
    return create_service_engine(url, pool_size=POOL_SIZE, pool_pre_ping=False)


async def create_decision_pool(url: str | SecretStr, **options: Any) -> asyncpg.Pool:
    """The decisions' asyncpg pool, ``service_role`` from each connection's startup parameters.
    No reset on release (a round trip after every decision's commit): ``decision_store`` runs
    only its statements in transactions and never changes a setting. ``options`` go to asyncpg
    (the benchmark counts statements with an ``init``)."""
    return await create_service_pool(url, min_size=1, max_size=DECISION_POOL_SIZE, reset=_keep, **options)


async def _keep(_: asyncpg.Connection) -> None:
    """Release a decision's connection as it is (see ``create_decision_pool``)."""


async def _close(marks: list[PublishedMarks], engines: list[AsyncEngine], pools: list[asyncpg.Pool]) -> None:
    """Mark what was published but not marked yet (else the outbox loop sends it again), then
    close the gate's pools."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            for published in marks:
                await published.flush()
    except Exception:
        _log.warning("could not mark the last decisions published; they will be sent again")
    for engine in engines:
        await engine.dispose()
    for pool in pools:
        await pool.close()


def _tick_observer(references: ReferencePrices) -> Callable[[Msg], Awaitable[None]]:
    async def on_tick(message: Msg) -> None:
        try:
            tick = TradeTick.model_validate_json(message.data)
        except ValidationError:
            return  # the feed dead-letters its own bad data; a reference price waits for the next
        references.observe(tick.symbol, tick.price, tick.ts_event)

    return on_tick


def _consumers(
    rt: ServiceRuntime, dead_letters: DeadLetterBox, handlers: Handlers, settings: RiskGateSettings
) -> list[PullConsumer]:
    """One durable consumer per input, shared by every replica of the gate on this venue."""
    venue = settings.risk_gate_venue
    inputs: list[tuple[str, str, str, Callable[[Msg], Awaitable[None]]]] = [
        (subjects.intents(subjects.ANY), subjects.TRADING.name, "intents", handlers.on_intent),
        (subjects.approvals(subjects.ANY), subjects.TRADING.name, "approvals", handlers.on_approval),
        (subjects.mode_requests(subjects.ANY), subjects.TRADING.name, "modes", handlers.on_mode),
        (subjects.KILL_SWITCH, subjects.SYSTEM.name, "kill", handlers.on_kill),
    ]
    return [
        PullConsumer(
            rt.jetstream,
            dead_letters,
            stream=stream,
            subject=subject,
            durable=f"risk-gate-{name}-{venue}",
            handler=handler,
            max_deliver=settings.risk_gate_max_deliver,
            ack_wait_s=settings.risk_gate_ack_wait_s,
        )
        for subject, stream, name, handler in inputs
    ]


__all__ = ["create_app"]
