"""Request rate, errors and duration of every service's HTTP API, by route template.

One pure ASGI middleware (no ``BaseHTTPMiddleware``: it runs on every request of the CPU-bound
gateway). The route label is the template the router matched (``/api/orders/{order_id}``), read
from the scope the router filled in (``RouteTemplates``), so no second match is made and raw
paths (unbounded: ids, probes of random URLs) never become label values. A request no route
matched is ``unmatched``. ``/metrics`` itself is left out: Prometheus's own scrapes are not
the service's traffic.

The children of both metrics are cached per label set: ``labels()`` validates and locks on every
call, a dictionary lookup does not.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
METRICS_PATH = "/metrics"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods labelled as they are; anything else a client sends is ``OTHER`` (bounded labels)."""
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """``http_requests_total{method, route, status}`` and ``http_request_duration_seconds{method,
    route}``, registered on the process's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self.requests.labels(
                method, route, str(status)
            )
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = self.duration.labels(method, route)
        counter.inc()
        histogram.observe(seconds)


class HttpMetricsMiddleware:
    """ASGI middleware recording every HTTP request (WebSockets and lifespan pass through)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self._app = app
        self._metrics = metrics
        self._templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered 500 further out

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_status)
        finally:
            route = self._templates.of(scope)
            if route != METRICS_PATH:
                method = scope["method"]
                self._metrics.observe(
                    method if method in METHODS else "OTHER", route, status, time.perf_counter() - started
                )


class RouteTemplates:
    """The template of the route the router picked, from what it left in the scope.

    Starlette's router stores the route itself (``scope["route"]``). FastAPI's stores, for a route
    of an included router, its effective context (with the prefixed template); for a plain
    Starlette route or a mount it leaves only the endpoint, looked up here in a table of the
    app's own routes, made at the first request (routes are all added by then).
    """

    def __init__(self) -> None:
        self._by_endpoint: dict[int, str] | None = None

    def of(self, scope: Scope) -> str:
        context = scope.get("fastapi", {}).get("effective_route_context")
        template = getattr(context, "path_format", None)
        if isinstance(template, str) and template:
            return template
        route = scope.get("route")
        if route is not None:
            return _template(route)
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        if self._by_endpoint is None:
            self._by_endpoint = _endpoint_templates(scope)
        return self._by_endpoint.get(id(endpoint), UNMATCHED)


def _template(route: BaseRoute) -> str:
    if isinstance(route, Mount):  # an app mounted whole (static files): its prefix, not the file
        return f"{route.path}/{{path:path}}"
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


def _endpoint_templates(scope: Scope) -> dict[int, str]:
    routes: list[BaseRoute] = getattr(scope.get("app"), "routes", [])
    table: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Mount):
            table[id(route.app)] = _template(route)
        elif isinstance(route, Route | WebSocketRoute):
            table[id(route.endpoint)] = _template(route)
    return table


__all__ = ["UNMATCHED", "HttpMetrics", "HttpMetricsMiddleware", "RouteTemplates"]
