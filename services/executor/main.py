"""Factory of the executor process: places, tracks and reconciles the orders of one venue.

Nothing happens at import. At start-up (the app's lifespan) it connects NATS and PostgreSQL,
runs one reconciliation sweep (so orders left in flight by a crash are resolved before anything
new is sent), then starts the command consumer, the periodic reconciler and, per account, the
user stream. Readiness (``/readyz``) waits for that first sweep. The kill switch (read from
PostgreSQL before every send, checked every second, on every sweep and on ``sys.kill``) is
wired in alongside: see ``kill_switch``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import asyncpg
from starlette.applications import Starlette

from services.executor.events import OrderEvents
from services.executor.handlers import KillSwitchConsumer, command_consumer
from services.executor.kill_switch import KillSwitchEnforcer, KillSwitchGate
from services.executor.metrics import ExecutorMetrics
from services.executor.reconciler import Reconciler
from services.executor.tracker import OrderTracker, ResendPolicy
from services.executor.user_stream import UserStreams
from services.executor.venues.pool import VenuePool
from services.executor.venues.rate_gate import RateGate
from shared.config.settings import ExecutorSettings
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.orders import OrderRepository
from shared.db.repositories.portfolio import PortfolioRepository
from shared.db.service_pool import create_service_pool
from shared.messaging.pull import PullConsumer
from shared.runtime.app import create_service_app
from shared.runtime.periodic import stop
from shared.runtime.service import ServiceRuntime
from shared.secrets.factory import build_cipher

Closer = KillSwitchEnforcer | VenuePool | UserStreams | OrderEvents
SERVICE = "executor"
CLOSE_TIMEOUT_S = 5.0
_log = logging.getLogger(__name__)


def create_app(settings: ExecutorSettings | None = None) -> Starlette:
    settings = settings or ExecutorSettings()
    runtime = ServiceRuntime(SERVICE, settings)
    tasks: list[asyncio.Task[None]] = []
    closers: list[Closer] = []
    pools: list[asyncpg.Pool] = []
    loops: list[PullConsumer | Reconciler | KillSwitchConsumer | KillSwitchEnforcer] = []
    started = asyncio.Event()

    async def on_start(rt: ServiceRuntime) -> None:
        assert rt.publisher is not None and rt.dead_letters is not None
        sessionmaker = rt.sessionmaker()
        pools.append(
            await create_service_pool(settings.database_url, max_size=settings.executor_db_pool_size)
        )
        orders = OrderRepository(pools[0])
        keys = ExchangeKeyRepository(sessionmaker, build_cipher(settings))
        metrics = ExecutorMetrics(rt.registry)
        gate = RateGate(weight_limit_1m=settings.executor_weight_limit_1m)
        metrics.gate_closed.set_function(lambda: gate.closed_for_s)
        metrics.request_weight.set_function(lambda: gate.used_weight)
        pool = VenuePool(settings.executor_venue, keys, gate, paper_url=settings.executor_paper_url)
        pool.on_error = lambda code: metrics.exchange_errors.labels(code).inc()
        policy = ResendPolicy(settings.executor_resend_after_s, settings.executor_lost_order_max_not_found)
        tracker, enforcer, kill_consumer = _with_kill_switch(rt, settings, pool, orders, policy, metrics)
        streams = UserStreams(tracker)
        metrics.stream_stale.set_function(lambda: float(streams.stale()))
        pool.on_open, pool.on_close = streams.watch, streams.forget
        closers.extend([enforcer, streams, pool, tracker.events])  # passes end before the clients they use
        reconciler = Reconciler(
            tracker,
            PortfolioRepository(sessionmaker),
            interval_s=settings.executor_reconcile_interval_s,
            poll_interval_s=settings.executor_poll_interval_s,
            lookback=timedelta(seconds=settings.executor_fills_lookback_s),
            lost_after=settings.executor_lost_order_max_not_found,
            stale=streams.stale,
            kill=enforcer.check,
        )
        consumer = command_consumer(
            rt.jetstream,
            tracker,
            rt.dead_letters,
            metrics,
            venue=settings.executor_venue,
            max_deliver=settings.executor_max_deliver,
            ack_wait_s=settings.executor_ack_wait_s,
            batch=settings.executor_fetch_batch,
        )
        loops.extend([consumer, reconciler, kill_consumer, enforcer])
        rt.checks["reconciled"] = started.is_set

        async def begin() -> None:
            try:
                await reconciler.sweep()
            except Exception:
                _log.exception("start-up reconciliation failed; the periodic sweep retries")
            started.set()
            tasks.append(asyncio.create_task(reconciler.run(), name="reconciler"))
            tasks.append(asyncio.create_task(enforcer.run(), name="kill-switch"))
            tasks.append(asyncio.create_task(kill_consumer.run(), name="kill-switch-consumer"))
            await consumer.run()

        tasks.append(asyncio.create_task(begin(), name="executor"))

    async def on_stop(_: ServiceRuntime) -> None:
        await stop(tasks, loops, timeout_s=CLOSE_TIMEOUT_S, what="executor")
        await _close(closers, pools)

    return create_service_app(runtime, on_start=on_start, on_stop=on_stop)


async def _close(closers: list[Closer], pools: list[asyncpg.Pool]) -> None:
    """Stop what the tasks used, in order; sockets that do not close in time must not hold it."""
    for closer in closers:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await (closer.close() if isinstance(closer, VenuePool | OrderEvents) else closer.stop())
        except TimeoutError:
            _log.warning("closing %s timed out", type(closer).__name__)
    for pool in pools:
        await pool.close()


def _with_kill_switch(
    rt: ServiceRuntime,
    settings: ExecutorSettings,
    pool: VenuePool,
    orders: OrderRepository,
    policy: ResendPolicy,
    metrics: ExecutorMetrics,
) -> tuple[OrderTracker, KillSwitchEnforcer, KillSwitchConsumer]:
    """The tracker, which asks the kill switch before every send, and the switch's enforcer and
    consumer, which end the orders of the accounts it stops."""
    assert rt.publisher is not None and rt.dead_letters is not None
    switches = KillSwitchRepository(rt.sessionmaker())
    events = OrderEvents(rt.publisher, orders, metrics, _online(rt))
    tracker = OrderTracker(pool, orders, events, policy, metrics, KillSwitchGate(switches))
    lookback = timedelta(seconds=settings.executor_fills_lookback_s)
    enforcer = KillSwitchEnforcer(tracker, switches, rt.publisher, online=_online(rt), lookback=lookback)
    consumer = KillSwitchConsumer(rt.jetstream, enforcer, rt.dead_letters, venue=settings.executor_venue)
    return tracker, enforcer, consumer


def _online(rt: ServiceRuntime) -> Callable[[], bool]:
    """Whether NATS is connected now: while it is not, publishing is left to the outboxes."""
    return lambda: rt.nats.is_connected
