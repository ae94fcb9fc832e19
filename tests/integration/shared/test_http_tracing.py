"""HTTP server spans over a real server: a request continues its caller's trace, FastAPI apps
name it by route and leave WebSockets alone; with tracing off nothing is added at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from websockets.sync.client import connect

from shared.config.settings import CommonSettings
from shared.telemetry.http_tracing import fastapi_telemetry, trace_http
from tests.support.asgi_server import serve_in_thread
from tests.support.tracing import SpanFile, installed_tracing

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


async def order(request: Request) -> PlainTextResponse:
    status = 500 if request.path_params["order_id"].startswith("broken") else 200
    return PlainTextResponse("ok", status_code=status)


def app_with(settings: CommonSettings) -> Starlette:
    app = Starlette(routes=[Route("/api/orders/{order_id}", order)])
    trace_http(app, settings)
    return app


@pytest.fixture
def spans(tmp_path: Path) -> Iterator[SpanFile]:
    with installed_tracing(tmp_path) as span_file:
        yield span_file


def test_a_request_runs_in_a_server_span_continuing_the_callers_trace(spans: SpanFile) -> None:
    app = app_with(CommonSettings(otel_exporter="file"))
    order_id = "cp-a12ba7b9a5cd01cc9280530ea7a329d0"
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as client:
        traceparent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
        assert client.get(f"/api/orders/{order_id}", headers={"traceparent": traceparent}).status_code == 200
        assert client.get("/api/orders/broken-0000000000000001").status_code == 500
    ok, failed = sorted(spans.read(), key=lambda s: s["start_ns"])
    assert (ok["name"], ok["kind"], ok["status"]) == ("GET /api/orders/{id}", "SERVER", "UNSET")
    assert (ok["trace_id"], ok["parent_span_id"]) == (CALLER_TRACE, CALLER_SPAN)
    assert ok["attributes"]["http.response.status_code"] == 200
    assert ok["attributes"]["url.path"] == f"/api/orders/{order_id}"
    assert failed["parent_span_id"] is None and failed["status"] == "ERROR"


def test_with_tracing_off_no_middleware_is_added() -> None:
    app = app_with(CommonSettings(otel_exporter="none"))
    assert app.user_middleware == []
    assert trace_http(Starlette(), CommonSettings(otel_exporter="file")) is True


def test_a_fastapi_app_names_its_request_span_by_route_and_traces_no_websocket(spans: SpanFile) -> None:
    app = FastAPI(telemetry=fastapi_telemetry(CommonSettings(otel_exporter="file")))

    @app.get("/api/intents/{intent_id}")
    async def intent(intent_id: str) -> dict[str, str]:
        return {"intent_id": intent_id}

    @app.websocket("/api/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    with serve_in_thread(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/api/intents/4564bb53-2e5c-56fc-aff8-e16341a0700f").status_code == 200
        with connect(url.replace("http", "ws") + "/api/ws") as ws:
            assert ws.recv(timeout=5) == "hello"
    [request] = spans.read()
    assert (request["name"], request["kind"]) == ("GET /api/intents/{intent_id}", "SERVER")


def test_with_tracing_off_fastapi_traces_nothing() -> None:
    assert fastapi_telemetry(CommonSettings(otel_exporter="none"))["tracing"] is False
