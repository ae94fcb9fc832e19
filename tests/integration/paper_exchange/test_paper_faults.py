"""Faults switched at run time through /admin/faults reach REST clients and stream clients."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import websockets

from shared.exchange.binance import create_binance

pytestmark = pytest.mark.asyncio


async def post_faults(paper: Any, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=paper.http, timeout=10) as http:
        return await http.post("/admin/faults", content=json.dumps(body))


async def test_rest_status_503_makes_ccxt_raise_what_live_binance_raises(start_paper: Any) -> None:
    import ccxt

    paper = start_paper(paper_history_candles=10)
    client = create_binance(venue="paper", paper_url=paper.http)
    try:
        await client.load_markets()
        assert (await post_faults(paper, {"rest_status": 503})).status_code == 200
        with pytest.raises(ccxt.OperationFailed):  # live: -1008 SERVER_BUSY → OperationFailed
            await client.fetch_ticker("BTC/USDT")
        async with httpx.AsyncClient(base_url=paper.http) as http:
            response = await http.get("/api/v3/ping")
        assert response.status_code == 503 and response.json()["code"] == -1008
        await post_faults(paper, {"rest_status": None})
        assert (await client.fetch_ticker("BTC/USDT"))["last"] > 0
    finally:
        await client.close()


async def test_rest_status_429_carries_retry_after(start_paper: Any) -> None:
    paper = start_paper(paper_history_candles=10)
    await post_faults(paper, {"rest_status": 429, "retry_after_s": 7})
    async with httpx.AsyncClient(base_url=paper.http) as http:
        response = await http.get("/api/v3/time")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["code"] == -1003


async def test_latency_fault_delays_rest_answers(start_paper: Any) -> None:
    paper = start_paper(paper_history_candles=10)
    await post_faults(paper, {"latency_ms": 300})
    async with httpx.AsyncClient(base_url=paper.http) as http:
        started = time.monotonic()
        await http.get("/api/v3/ping")
        assert time.monotonic() - started >= 0.3
        faults = (await http.get("/admin/faults")).json()["faults"]
    assert faults["latency_ms"] == 300


async def test_drop_streams_closes_every_open_websocket(start_paper: Any) -> None:
    paper = start_paper(paper_history_candles=10)
    async with (
        websockets.connect(f"{paper.ws}/ws/btcusdt@trade") as first,
        websockets.connect(f"{paper.ws}/stream?streams=ethusdt@trade") as second,
    ):
        await first.recv()
        await second.recv()
        assert (await post_faults(paper, {"drop_streams": True})).status_code == 200
        for ws in (first, second):
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
    async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade") as again:  # once, not standing
        assert json.loads(await again.recv())["e"] == "trade"


async def test_streams_down_refuses_new_connections_until_cleared(start_paper: Any) -> None:
    paper = start_paper(paper_history_candles=10)
    await post_faults(paper, {"streams_down": True})
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade"):
            pass
    assert refused.value.response.status_code == 503
    await post_faults(paper, {"streams_down": False})
    async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade") as ws:
        assert json.loads(await ws.recv())["e"] == "trade"


@pytest.mark.parametrize(
    "body",
    [{"latency_ms": -5}, {"rest_status": 200}, {"no_such_fault": True}, [], {"drop_streams": "yes"}],
)
async def test_bad_admin_input_answers_400_with_a_reason(start_paper: Any, body: Any) -> None:
    paper = start_paper(paper_history_candles=0)
    response = await post_faults(paper, body)
    assert response.status_code == 400 and response.json()["error"]
