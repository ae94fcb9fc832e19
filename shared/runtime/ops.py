"""The three endpoints every service serves: ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.telemetry.metrics import metrics_endpoint

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
"""Returns each dependency's name and whether it is usable right now."""


def ops_routes(service: str, registry: CollectorRegistry, readiness: ReadinessCheck) -> list[Route]:
    """Return the routes: liveness (the process answers), readiness (its dependencies do), metrics."""

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"service": service, "status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        try:
            checks = await readiness()
        except Exception as e:  # a failing probe means not ready, never a 500
            return JSONResponse({"service": service, "ready": False, "error": str(e)}, status_code=503)
        ready = all(checks.values())
        return JSONResponse(
            {"service": service, "ready": ready, "checks": checks}, status_code=200 if ready else 503
        )

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint(registry), methods=["GET"]),
    ]
