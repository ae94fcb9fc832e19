"""The paper exchange counts and times its HTTP requests by route template, like every service."""

from __future__ import annotations

import httpx

from tests.support.paper import PaperServer
from tests.support.scrape import scrape


async def test_requests_are_counted_by_template_next_to_the_exchanges_own_counter(paper: PaperServer) -> None:
    before = await scrape(paper.http)
    async with httpx.AsyncClient(base_url=paper.http, timeout=10) as http:
        assert (await http.get("/api/v3/ticker/price", params={"symbol": "BTCUSDT"})).status_code == 200
        assert (await http.get("/api/v3/ping")).status_code == 200
        assert (await http.get("/no/such/path")).status_code == 404
    after = await scrape(paper.http)

    def grew(**labels: str) -> float:
        return after.total("http_requests_total", **labels) - before.total("http_requests_total", **labels)

    assert grew(method="GET", route="/api/v3/ticker/price", status="200") == 1
    assert grew(method="GET", route="/api/v3/ping", status="200") == 1
    assert grew(method="GET", route="unmatched", status="404") == 1
    assert after.total("paper_rest_requests_total", path="/api/v3/ping") >= 1
