"""The ASGI app of a service that has no HTTP API of its own: ops endpoints plus its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from shared.runtime.service import Hook, ServiceRuntime
from shared.telemetry.http_metrics import HttpMetrics, HttpMetricsMiddleware


def create_service_app(
    runtime: ServiceRuntime,
    *,
    routes: Sequence[BaseRoute] = (),
    on_start: Hook | None = None,
    on_stop: Hook | None = None,
) -> Starlette:
    """Return an app serving ``/healthz``, ``/readyz``, ``/metrics`` and ``routes``, each request
    counted and timed in ``http_requests_total`` and ``http_request_duration_seconds``."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with runtime.lifespan(on_start, on_stop):
            yield

    app = Starlette(
        routes=[*runtime.ops_routes(), *routes],
        lifespan=lifespan,
        middleware=[Middleware(HttpMetricsMiddleware, metrics=HttpMetrics(runtime.registry))],
    )
    app.state.runtime = runtime
    return app
