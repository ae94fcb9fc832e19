"""``/api/ws``: one WebSocket per browser tab pushing live trades and closed candles.

The client says what it watches with ``{"action": "subscribe", "symbol": "BTC/USDT", "interval": "1m"}``
(or ``?symbol=&interval=`` on the URL); a new subscription replaces the old one. Bad frames get an
``error`` event and the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from services.api_gateway.api.deps import GatewayState
from services.api_gateway.api.routes.market import CHART_INTERVALS, resolve_interval, resolve_symbol
from services.api_gateway.errors import ApiError
from services.api_gateway.market_hub import ClientFeed

router = APIRouter()
_MAX_FRAME = 4096


def _error(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def _subscribe(state: GatewayState, client: ClientFeed, request: dict[str, Any]) -> str:
    symbol = resolve_symbol(str(request.get("symbol", "")), state.settings.gateway_symbols)
    interval = resolve_interval(str(request.get("interval", "1m")), tuple(i.value for i in CHART_INTERVALS))
    state.hub.watch(client, symbol, interval.value)
    return json.dumps({"type": "subscribed", "symbol": symbol, "interval": interval.value})


def handle_frame(state: GatewayState, client: ClientFeed, frame: str) -> str | None:
    """Apply one client frame; return the reply to send, if any."""
    if len(frame) > _MAX_FRAME:
        return _error("frame_too_large", f"expected at most {_MAX_FRAME} bytes, was {len(frame)}")
    try:
        request = json.loads(frame)
    except json.JSONDecodeError:
        return _error("malformed_json", "expected a JSON object")
    if not isinstance(request, dict):
        return _error("malformed_json", "expected a JSON object")
    action = request.get("action")
    try:
        if action == "subscribe":
            return _subscribe(state, client, request)
        if action == "unsubscribe":
            state.hub.watch(client, None, None)
            return json.dumps({"type": "unsubscribed"})
        if action == "ping":
            return json.dumps({"type": "pong"})
    except ApiError as e:
        return _error(e.code, e.message)
    return _error("unknown_action", f"expected action subscribe, unsubscribe or ping, was {action!r}")


@router.websocket("/ws")
async def market_socket(websocket: WebSocket) -> None:
    state: GatewayState = websocket.app.state.gateway
    await websocket.accept()
    client = ClientFeed()
    state.hub.connect(client)
    sender = asyncio.create_task(_pump(websocket, client))
    try:
        if "symbol" in websocket.query_params:
            reply = handle_frame(state, client, json.dumps({"action": "subscribe", **websocket.query_params}))
            if reply is not None:
                client.offer(reply)
        while True:
            reply = handle_frame(state, client, await websocket.receive_text())
            if reply is not None:
                client.offer(reply)
    except WebSocketDisconnect:
        pass
    finally:
        state.hub.disconnect(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _pump(websocket: WebSocket, client: ClientFeed) -> None:
    while True:
        event = await client.outbox.get()
        await websocket.send_text(event)
