"""Every HTTP request is counted and timed by route template, over a real server and a real scrape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from shared.telemetry.http_metrics import HttpMetrics, HttpMetricsMiddleware
from shared.telemetry.metrics import create_registry, metrics_endpoint
from tests.support.asgi_server import serve_in_thread
from tests.support.scrape import scrape


async def _item(request: Request) -> Response:
    return PlainTextResponse(request.path_params["item_id"])


async def _broken(_: Request) -> Response:
    raise RuntimeError("broken on purpose")


async def _files(scope: object, receive: object, send: object) -> None:
    await PlainTextResponse("file")(scope, receive, send)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    registry = create_registry()
    routes = [
        Route("/healthz", lambda _: PlainTextResponse("ok")),
        Route("/metrics", metrics_endpoint(registry)),
        Route("/items/{item_id}", _item, methods=["GET", "POST"]),
        Route("/broken", _broken),
        Mount("/files", app=_files),
    ]
    middleware = [Middleware(HttpMetricsMiddleware, metrics=HttpMetrics(registry))]
    with serve_in_thread(Starlette(routes=routes, middleware=middleware)) as url:
        yield url


async def test_requests_are_labelled_by_route_template_never_by_raw_path(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for item in ("a", "b", "c"):
            assert (await http.get(f"/items/{item}")).status_code == 200
        assert (await http.post("/items/a")).status_code == 200
    metrics = await scrape(base_url)
    assert metrics.value("http_requests_total", method="GET", route="/items/{item_id}", status="200") == 3
    assert metrics.value("http_requests_total", method="POST", route="/items/{item_id}", status="200") == 1
    assert metrics.value("http_request_duration_seconds_count", method="GET", route="/items/{item_id}") == 3
    assert metrics.value("http_request_duration_seconds_sum", method="GET", route="/items/{item_id}")
    assert not any("/items/a" in route for route in metrics.label_values("http_requests_total", "route"))


async def test_unknown_paths_are_one_unmatched_route_and_errors_keep_their_status(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for probe in ("/wp-admin", "/.env", "/x/y/z"):
            assert (await http.get(probe)).status_code == 404
        assert (await http.delete("/items/a")).status_code == 405
        assert (await http.request("PROPFIND", "/items/a")).status_code == 405
        assert (await http.get("/broken")).status_code == 500  # the server then closes the connection
    metrics = await scrape(base_url)
    assert metrics.value("http_requests_total", method="GET", route="unmatched", status="404") == 3
    assert metrics.value("http_requests_total", method="DELETE", route="/items/{item_id}", status="405") == 1
    assert metrics.value("http_requests_total", method="GET", route="/broken", status="500") == 1
    assert metrics.value("http_requests_total", method="OTHER", route="/items/{item_id}", status="405") == 1
    assert "PROPFIND" not in metrics.label_values("http_requests_total", "method")


async def test_a_mounted_app_is_its_prefix_and_the_scrapes_themselves_are_not_counted(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        assert (await http.get("/files/one.txt")).status_code == 200
        assert (await http.get("/files/two.txt")).status_code == 200
        assert (await http.get("/healthz")).status_code == 200
    await scrape(base_url)
    metrics = await scrape(base_url)
    assert metrics.value("http_requests_total", route="/files/{path:path}", status="200") == 2
    assert metrics.value("http_requests_total", route="/healthz", status="200") == 1
    assert "/metrics" not in metrics.label_values("http_requests_total", "route")
