"""The gateway's requests are counted and timed by route template, as Prometheus scrapes them."""

from __future__ import annotations

import uuid

import httpx

from shared.db.repositories.users import UserRecord
from tests.integration.api_gateway.trading_support import bearer
from tests.support.scrape import scrape


async def test_an_order_lookup_is_counted_under_its_template_with_its_status(
    api: httpx.AsyncClient, trading_gateway: str, alice: UserRecord
) -> None:
    before = await scrape(trading_gateway)
    auth = bearer(alice.id)
    assert (await api.get(f"/api/orders/{uuid.uuid4()}", headers=auth)).status_code == 404
    assert (await api.get(f"/api/orders/{uuid.uuid4()}", headers=auth)).status_code == 404
    assert (await api.get("/api/orders/not-a-uuid", headers=auth)).status_code == 422
    assert (await api.get("/api/orders", headers=auth)).status_code == 200
    assert (await api.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
    assert (await api.get("/healthz")).status_code == 200
    after = await scrape(trading_gateway)

    def grew(**labels: str) -> float:
        return after.total("http_requests_total", **labels) - before.total("http_requests_total", **labels)

    template = "/api/orders/{order_id}"
    assert grew(method="GET", route=template, status="404") == 2
    assert grew(method="GET", route=template, status="422") == 1
    assert grew(method="GET", route="/api/orders", status="200") == 1
    assert grew(method="GET", route="unmatched", status="404") == 1
    assert grew(method="GET", route="/healthz", status="200") == 1
    assert grew(route="unmatched", status="200") == 0  # the scrapes: not counted, not unmatched
    assert after.total("http_request_duration_seconds_count", method="GET", route=template) >= 3
    assert not any(r.startswith("/no/") for r in after.label_values("http_requests_total", "route"))
