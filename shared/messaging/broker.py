"""The one way services get a NATS connection: a FastStream ``NatsBroker`` with JetStream.

Telemetry is wired here once (OpenTelemetry spans with trace context in NATS headers, Prometheus
message metrics), so no handler has to remember it.
"""

from __future__ import annotations

import logging

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.prometheus import NatsPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.config.settings import CommonSettings

_log = logging.getLogger(__name__)


def build_broker(
    settings: CommonSettings,
    *,
    service: str,
    registry: CollectorRegistry,
    tracer_provider: TracerProvider | None = None,
) -> NatsBroker:
    """Return an unconnected broker for ``service``; connect it in the app's start-up."""

    async def on_error(e: Exception) -> None:
        _log.warning("nats connection error: %s", e, extra={"nats_url": settings.nats_url})

    async def on_disconnected() -> None:
        _log.warning("nats disconnected; reconnecting", extra={"nats_url": settings.nats_url})

    async def on_reconnected() -> None:
        _log.info("nats reconnected", extra={"nats_url": settings.nats_url})

    return NatsBroker(
        settings.nats_url,
        name=f"cryptopulse.{service}",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        error_cb=on_error,
        disconnected_cb=on_disconnected,
        reconnected_cb=on_reconnected,
        middlewares=(
            NatsTelemetryMiddleware(tracer_provider=tracer_provider),
            NatsPrometheusMiddleware(registry=registry, app_name=service, metrics_prefix="cryptopulse"),
        ),
        logger=logging.getLogger(f"faststream.{service}"),
    )
