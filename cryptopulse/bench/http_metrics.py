"""What the HTTP request metrics cost per request: the same app with and without the middleware.

The app is shaped like the gateway's (FastAPI, a router included under ``/api`` with a templated
route, the ops routes added as plain Starlette routes), so both ways the middleware finds a route
template are measured: FastAPI's effective route context (``/api/orders/{order_id}``) and the
endpoint table (``/healthz``), plus a path no route matches. Requests are ASGI calls in this
process, one after another, without a server or a socket: what is left is the app's own work, so
the difference is the middleware's, not noise from the network stack. Each figure is the best of
several rounds, alternating between the two apps, because the machine is shared.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Scope

from shared.telemetry.http_metrics import HttpMetrics, HttpMetricsMiddleware
from shared.telemetry.metrics import create_registry

PATHS = ("/healthz", "/api/orders/42", "/no/such/path")
REQUESTS = 1_000
ROUNDS = 30


@dataclass(frozen=True, slots=True)
class PathCost:
    path: str
    without_us: float
    with_us: float

    @property
    def overhead_us(self) -> float:
        return self.with_us - self.without_us


@dataclass(frozen=True, slots=True)
class HttpMetricsResult:
    paths: list[PathCost]
    observe_us: float
    """One ``HttpMetrics.observe`` call alone (a counter and a histogram)."""


def gateway_shaped_app(*, metered: bool) -> FastAPI:
    app = FastAPI()
    orders = APIRouter(tags=["orders"])

    @orders.get("/orders/{order_id}")
    async def order(order_id: str) -> dict[str, str]:
        return {"order_id": order_id}

    api = APIRouter(prefix="/api")
    api.include_router(orders)
    app.include_router(api)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.router.routes.append(Route("/healthz", healthz, methods=["GET"]))
    if metered:
        app.add_middleware(HttpMetricsMiddleware, metrics=HttpMetrics(create_registry()))
    return app


def _scope(path: str) -> Scope:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip


async def _per_request_us(app: ASGIApp, path: str, count: int) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: Message) -> None:
        return None

    started = time.perf_counter()
    for _ in range(count):
        await app(_scope(path), receive, send)
    return (time.perf_counter() - started) / count * 1e6


async def _measure(requests: int, rounds: int) -> list[PathCost]:
    plain, metered = gateway_shaped_app(metered=False), gateway_shaped_app(metered=True)
    costs = []
    for path in PATHS:
        for app in (plain, metered):  # warm up: routes compiled, label children cached
            await _per_request_us(app, path, 200)
        without, with_ = [], []
        for _ in range(rounds):
            without.append(await _per_request_us(plain, path, requests))
            with_.append(await _per_request_us(metered, path, requests))
        costs.append(PathCost(path, min(without), min(with_)))
    return costs


def _observe_us(calls: int = 100_000) -> float:
    metrics = HttpMetrics(create_registry())
    started = time.perf_counter()
    for _ in range(calls):
        metrics.observe("GET", "/healthz", 200, 0.001)
    return (time.perf_counter() - started) / calls * 1e6


def run_http_metrics_benchmark(requests: int = REQUESTS, rounds: int = ROUNDS) -> HttpMetricsResult:
    paths = asyncio.run(_measure(requests, rounds))
    return HttpMetricsResult(paths, min(_observe_us() for _ in range(3)))


def http_metrics_table(result: HttpMetricsResult) -> str:
    def per_s(us: float) -> str:
        return f"{1e6 / us:,.0f}"

    lines = [
        "| path | without metrics, µs/request (req/s) | with metrics, µs/request (req/s) | overhead |",
        "|------|------|------|------|",
    ]
    for cost in result.paths:
        share = cost.overhead_us / cost.without_us * 100
        lines.append(
            f"| `{cost.path}` | {cost.without_us:.1f} ({per_s(cost.without_us)}) | "
            f"{cost.with_us:.1f} ({per_s(cost.with_us)}) | {cost.overhead_us:+.1f} µs ({share:+.0f}%) |"
        )
    lines += [
        "",
        f"One `observe` alone (a counter and a histogram, children cached): {result.observe_us:.2f} µs.",
        "In-process ASGI calls, best of several rounds; over real HTTP each request also pays the",
        "server and the socket, so the share there is smaller.",
    ]
    return "\n".join(lines)


__all__ = ["HttpMetricsResult", "PathCost", "http_metrics_table", "run_http_metrics_benchmark"]
