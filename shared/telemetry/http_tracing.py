"""HTTP server spans for a service's ASGI app, only when tracing is configured.

With the exporter ``none`` the middleware is not even added, so tracing off costs nothing per
request. The WebSocket is left out: a connection lives for hours and would make every chat
message a child of one endless span; each chat message starts its own trace instead.
"""

from __future__ import annotations

from starlette.applications import Starlette

from shared.config.settings import CommonSettings

UNTRACED_URLS = "/api/ws"
"""Regular expressions (comma-separated) of URLs without server spans."""


def trace_http(app: Starlette, settings: CommonSettings) -> bool:
    """Give every request to ``app`` a SERVER span continuing the caller's ``traceparent``;
    return whether tracing is on."""
    if settings.otel_exporter == "none":
        return False
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.add_middleware(
        OpenTelemetryMiddleware,
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )
    return True


__all__ = ["trace_http"]
