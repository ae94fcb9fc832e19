"""Factory of the executor process: places, tracks and reconciles the orders of one venue.

Nothing happens at import. At start-up (the app's lifespan) it connects NATS and PostgreSQL,
runs one reconciliation sweep (so orders left in flight by a crash are resolved before anything
new is sent), then starts the command consumer, the periodic reconciler and, per account, the
user stream. Readiness (``/readyz``) waits for that first sweep.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from starlette.applications import Starlette

from services.executor.events import OrderEvents
from services.executor.handlers import CommandConsumer
from services.executor.metrics import ExecutorMetrics
from services.executor.reconciler import Reconciler
from services.executor.tracker import OrderTracker, ResendPolicy
from services.executor.user_stream import UserStreams
from services.executor.venues.pool import VenuePool
from services.executor.venues.rate_gate import RateGate
from shared.config.settings import ExecutorSettings
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.orders import OrderRepository
from shared.db.repositories.portfolio import PortfolioRepository
from shared.runtime.app import create_service_app
from shared.runtime.service import ServiceRuntime
from shared.secrets.factory import build_cipher

SERVICE = "executor"
CLOSE_TIMEOUT_S = 5.0
_log = logging.getLogger(__name__)


def create_app(settings: ExecutorSettings | None = None) -> Starlette:
    settings = settings or ExecutorSettings()
    runtime = ServiceRuntime(SERVICE, settings)
    tasks: list[asyncio.Task[None]] = []
    closers: list[VenuePool | UserStreams] = []
    loops: list[CommandConsumer | Reconciler] = []
    started = asyncio.Event()

    async def on_start(rt: ServiceRuntime) -> None:
        assert rt.publisher is not None and rt.dead_letters is not None
        sessionmaker = rt.sessionmaker()
        orders = OrderRepository(sessionmaker)
        keys = ExchangeKeyRepository(sessionmaker, build_cipher(settings))
        metrics = ExecutorMetrics(rt.registry)
        gate = RateGate(weight_limit_1m=settings.executor_weight_limit_1m)
        metrics.gate_closed.set_function(lambda: gate.closed_for_s)
        pool = VenuePool(settings.executor_venue, keys, gate, paper_url=settings.executor_paper_url)
        policy = ResendPolicy(settings.executor_resend_after_s, settings.executor_lost_order_max_not_found)
        tracker = OrderTracker(pool, orders, OrderEvents(rt.publisher, orders), policy, metrics)
        streams = UserStreams(tracker)
        metrics.stream_stale.set_function(lambda: float(streams.stale()))
        pool.on_open, pool.on_close = streams.watch, streams.forget
        closers.extend([streams, pool])
        reconciler = Reconciler(
            tracker,
            PortfolioRepository(sessionmaker),
            interval_s=settings.executor_reconcile_interval_s,
            poll_interval_s=settings.executor_poll_interval_s,
            lookback=timedelta(seconds=settings.executor_fills_lookback_s),
            lost_after=settings.executor_lost_order_max_not_found,
            stale=streams.stale,
        )
        consumer = CommandConsumer(
            rt.jetstream,
            tracker,
            rt.dead_letters,
            metrics,
            venue=settings.executor_venue,
            max_deliver=settings.executor_max_deliver,
            ack_wait_s=settings.executor_ack_wait_s,
            batch=settings.executor_fetch_batch,
        )
        loops.extend([consumer, reconciler])
        rt.checks["reconciled"] = started.is_set

        async def begin() -> None:
            try:
                await reconciler.sweep()
            except Exception:
                _log.exception("start-up reconciliation failed; the periodic sweep retries")
            started.set()
            tasks.append(asyncio.create_task(reconciler.run(), name="reconciler"))
            await consumer.run()

        tasks.append(asyncio.create_task(begin(), name="executor"))

    async def on_stop(_: ServiceRuntime) -> None:
        for loop in loops:
            loop.stopping = True
        for task in tasks:
            task.cancel()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.gather(*tasks, return_exceptions=True)
        except TimeoutError:
            _log.warning("executor tasks did not stop in time")
        for closer in closers:
            try:  # sockets that do not close in time must not hold the shutdown
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await (closer.stop() if isinstance(closer, UserStreams) else closer.close())
            except TimeoutError:
                _log.warning("closing %s timed out", type(closer).__name__)

    return create_service_app(runtime, on_start=on_start, on_stop=on_stop)
