"""Prometheus: one registry per process, made by a factory, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector, exposition, generate_latest
from starlette.requests import Request
from starlette.responses import Response


def create_registry() -> CollectorRegistry:
    """Return a fresh registry with the process collector (CPU, memory, fds)."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    return registry


def metrics_endpoint(registry: CollectorRegistry):  # type: ignore[no-untyped-def]
    """Return a Starlette endpoint serving ``registry`` in the Prometheus text format."""

    async def endpoint(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=exposition.CONTENT_TYPE_LATEST)

    return endpoint
