"""WebSocket market streams: raw and combined paths, live SUBSCRIBE, errors, Binance field names."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
import websockets

pytestmark = pytest.mark.asyncio


async def next_json(ws: Any) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), 5.0))


async def next_matching(ws: Any, predicate: Any, limit: int = 2000) -> Any:
    for _ in range(limit):
        message = await next_json(ws)
        if predicate(message):
            return message
    raise AssertionError("no matching message")


async def test_raw_trade_stream_sends_binance_trade_events(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade") as ws:
        events = [await next_json(ws) for _ in range(5)]
    assert all(set(e) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"} for e in events)
    assert all(e["e"] == "trade" and e["s"] == "BTCUSDT" for e in events)
    ids = [e["t"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert all(Decimal(e["p"]) % Decimal("0.01") == 0 for e in events)


async def test_combined_stream_wraps_events_with_their_stream_name(paper: Any) -> None:
    url = f"{paper.ws}/stream?streams=ethusdt@trade/ethusdt@kline_1m/ethusdt@bookTicker"
    async with websockets.connect(url) as ws:
        seen: dict[str, Any] = {}
        while len(seen) < 3:
            message = await next_json(ws)
            seen[message["stream"]] = message["data"]
    assert seen["ethusdt@trade"]["e"] == "trade"
    kline = seen["ethusdt@kline_1m"]["k"]
    assert set(kline) == set("tTsifLochlvnxqVQB") and kline["i"] == "1m"
    assert set(seen["ethusdt@bookTicker"]) == {"u", "s", "b", "B", "a", "A"}


async def test_kline_stream_sends_a_closed_candle_when_a_minute_ends(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws/solusdt@kline_1m") as ws:
        closed = await next_matching(ws, lambda m: m["k"]["x"] is True)
    k = closed["k"]
    assert k["T"] - k["t"] == 59_999
    assert Decimal(k["l"]) <= min(Decimal(k["o"]), Decimal(k["c"])) <= Decimal(k["h"])
    assert k["n"] == k["L"] - k["f"] + 1


async def test_subscribe_unsubscribe_and_list_subscriptions_answer_by_id(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws") as ws:
        await ws.send(
            json.dumps({"method": "SUBSCRIBE", "params": ["bnbusdt@trade", "bnbusdt@ticker"], "id": 1})
        )
        assert await next_matching(ws, lambda m: "id" in m) == {"result": None, "id": 1}
        trade = await next_matching(ws, lambda m: m.get("e") == "trade")
        assert trade["s"] == "BNBUSDT"
        ticker = await next_matching(ws, lambda m: m.get("e") == "24hrTicker")
        assert {"p", "P", "c", "b", "a", "o", "h", "l", "v", "q", "n"} <= set(ticker)
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        listed = await next_matching(ws, lambda m: m.get("id") == 2)
        assert listed == {"result": ["bnbusdt@trade", "bnbusdt@ticker"], "id": 2}
        await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["bnbusdt@trade"], "id": 3}))
        assert await next_matching(ws, lambda m: m.get("id") == 3) == {"result": None, "id": 3}
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert (await next_matching(ws, lambda m: m.get("id") == 4))["result"] == ["bnbusdt@ticker"]


async def test_malformed_frame_gets_an_error_and_the_connection_stays_open(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws") as ws:
        await ws.send("this is not json")
        error = await next_json(ws)
        assert error["error"]["code"] == 3 and error["error"]["msg"].startswith("Invalid JSON")
        await ws.send(json.dumps({"method": "SUBSCRIBEX", "params": [], "id": 7}))
        error = await next_json(ws)
        assert error["id"] == 7 and error["error"]["code"] == 2
        assert error["error"]["msg"].startswith("Invalid request: unknown variant")
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 8}))
        assert await next_json(ws) == {"result": None, "id": 8}


async def test_subscribe_to_unknown_symbol_answers_error_and_subscribes_nothing(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws") as ws:
        request = {"method": "SUBSCRIBE", "params": ["btcusdt@trade", "dogeusdt@trade"], "id": 5}
        await ws.send(json.dumps(request))
        error = await next_json(ws)
        assert error["id"] == 5 and error["error"]["code"] == 2 and "dogeusdt" in error["error"]["msg"]
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 6}))
        assert await next_json(ws) == {"result": [], "id": 6}


async def test_unknown_symbol_in_url_gets_error_then_close(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws/dogeusdt@trade") as ws:
        error = await next_json(ws)
        assert error["error"]["code"] == 2 and "dogeusdt" in error["error"]["msg"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_client_ping_is_answered_with_pong(paper: Any) -> None:
    async with websockets.connect(f"{paper.ws}/ws") as ws:
        latency = await asyncio.wait_for(await ws.ping(), 5)
    assert latency >= 0


async def test_server_sends_ping_frames(start_paper: Any) -> None:
    import aiohttp  # ccxt's transport; it can show ping frames instead of answering them itself

    paper = start_paper(paper_ws_ping_interval_s=0.2, paper_history_candles=0)
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{paper.ws}/ws", autoping=False) as ws:
        message = await ws.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.PING
