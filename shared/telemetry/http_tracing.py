"""HTTP server spans for a service's ASGI app, only when tracing is configured.

FastAPI apps (the gateway) make their own: FastAPI's native telemetry names each request's
span by its route template; ``fastapi_telemetry`` keeps that and turns off the rest (a span per
dependency and serialisation, its own metrics and logs beside our Prometheus and JSON logs, and a
span per WebSocket connection). Plain Starlette apps (the other services' ops ports) get
``HttpServerSpans``.

Our own small middleware rather than ``opentelemetry-instrumentation-asgi``: that one cost about
90 µs per request even with no provider installed and 200 µs with one (against 11 µs for
``/healthz`` itself); this one is one span and a header look-up. With the exporter ``none`` it
is not even added. WebSockets get no span: a connection lives for hours and would make every
chat message a child of one endless span; each chat message starts its own trace instead.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.config.settings import CommonSettings
from shared.telemetry.tracing import extract_context, tracer

_ID_SEGMENT = re.compile(r"/[^/]*\d[^/]{14,}(?=/|$)")
"""A path segment of 16 characters or more with a digit: a UUID, a key id, a client order id."""
_PROPAGATED = (b"traceparent", b"tracestate")


def span_name(scope: Scope) -> str:
    """``METHOD /path`` with ids replaced by ``{id}``: a span name per route, not per intent."""
    return f"{scope.get('method', 'HTTP')} {_ID_SEGMENT.sub('/{id}', str(scope.get('path', '')))}"


class HttpServerSpans:
    """Runs each HTTP request in a SERVER span that continues the caller's ``traceparent``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carried = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _PROPAGATED}
        attributes: dict[str, Any] = {
            "http.request.method": scope["method"],
            "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"),
        }
        with tracer().start_as_current_span(
            span_name(scope),
            context=extract_context(carried) if carried else None,
            kind=SpanKind.SERVER,
            attributes=attributes,
        ) as span:

            async def send_noting_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, send_noting_status)


def fastapi_telemetry(settings: CommonSettings) -> TelemetryConfig:
    """FastAPI's native telemetry reduced to one SERVER span per HTTP request, and to nothing at
    all when tracing is off."""
    return {
        "tracing": settings.otel_exporter != "none",
        "operation_spans": False,
        "metrics": False,
        "logs": False,  # exception messages would leave unredacted; our JSON logs have them
        "exclude": lambda scope: scope["type"] == "websocket",
    }


def trace_http(app: Starlette, settings: CommonSettings) -> bool:
    """Give every HTTP request to ``app`` a SERVER span when tracing is on; return whether it is."""
    if settings.otel_exporter == "none":
        return False
    app.add_middleware(HttpServerSpans)
    return True


__all__ = ["HttpServerSpans", "fastapi_telemetry", "span_name", "trace_http"]
