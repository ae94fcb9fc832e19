"""What every service process has: logging, metrics, tracing, a NATS broker, maybe a database.

``ServiceRuntime`` connects them in the app's lifespan (never at import) and answers readiness.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute

from shared.config.settings import CommonSettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.messaging.broker import build_broker
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher, PublisherMetrics
from shared.messaging.streams import ensure_streams
from shared.runtime.ops import ops_routes
from shared.telemetry.error_reporting import flush_error_reporting, init_error_reporting
from shared.telemetry.logging import configure_logging
from shared.telemetry.metrics import create_registry
from shared.telemetry.tracing import install_tracing

_log = logging.getLogger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


@dataclass
class ServiceRuntime:
    """The connections of one service process, opened by ``lifespan`` and closed after it."""

    name: str
    settings: CommonSettings
    use_database: bool = True
    registry: CollectorRegistry = field(default_factory=create_registry)
    broker: NatsBroker | None = field(default=None, init=False)
    engine: AsyncEngine | None = field(default=None, init=False)
    publisher: JetStreamPublisher | None = field(default=None, init=False)
    dead_letters: DeadLetterBox | None = field(default=None, init=False)
    checks: dict[str, Callable[[], bool]] = field(default_factory=dict, init=False)
    """Service-specific readiness checks, e.g. "the feed finished its backfill"."""
    _js: JetStreamContext | None = field(default=None, init=False)
    _tracer_provider: TracerProvider | None = field(default=None, init=False)

    # -- CONNECTIONS ---------------------------------------------------------------------------

    @property
    def nats(self) -> NatsClient:
        if self.broker is None:
            raise RuntimeError(f"{self.name}: NATS is not connected yet")
        return self.broker.connection

    @property
    def jetstream(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError(f"{self.name}: JetStream is not connected yet")
        return self._js

    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self.engine is None:
            raise RuntimeError(f"{self.name}: the database is not connected")
        return create_sessionmaker(self.engine)

    async def start(self) -> None:
        configure_logging(self.name, self.settings.log_level)
        init_error_reporting(self.settings, self.name)
        self._tracer_provider = install_tracing(
            self.name, self.settings.otel_exporter, self.settings.otel_endpoint, self.settings.otel_file
        )
        self.broker = build_broker(
            self.settings, service=self.name, registry=self.registry, tracer_provider=self._tracer_provider
        )
        await self.broker.connect()
        self._js = self.nats.jetstream()
        await ensure_streams(self._js)
        self.publisher = JetStreamPublisher(self._js, PublisherMetrics(self.registry, self.name))
        self.dead_letters = DeadLetterBox(self.publisher, self.name, self.registry)
        if self.use_database:
            self.engine = create_engine(self.settings.database_url, pool_size=5)
        _log.info("%s connected", self.name, extra={"nats_url": self.settings.nats_url})

    async def stop(self) -> None:
        try:
            if self.broker is not None:
                await self.broker.stop()
            if self.engine is not None:
                await self.engine.dispose()
        finally:
            if self._tracer_provider is not None:
                self._tracer_provider.shutdown()  # flushes the spans still batched
            flush_error_reporting()

    # -- READINESS -----------------------------------------------------------------------------

    async def readiness(self) -> dict[str, bool]:
        checks = {"nats": self.broker is not None and self.nats.is_connected}
        if self.use_database:
            checks["database"] = await self._database_answers()
        for name, check in self.checks.items():
            checks[name] = check()
        return checks

    async def _database_answers(self) -> bool:
        if self.engine is None:
            return False
        try:
            async with asyncio.timeout(2.0), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as e:
            _log.warning("database not answering: %s", e)
            return False
        return True

    def ops_routes(self) -> list[BaseRoute]:
        return list(ops_routes(self.name, self.registry, self.readiness))

    @asynccontextmanager
    async def lifespan(
        self, on_start: Hook | None = None, on_stop: Hook | None = None
    ) -> AsyncIterator[None]:
        """Connect, run ``on_start``; on shutdown run ``on_stop`` and disconnect."""
        await self.start()
        try:
            if on_start is not None:
                await on_start(self)
            yield
        finally:
            try:
                if on_stop is not None:
                    await on_stop(self)
            finally:
                await self.stop()
