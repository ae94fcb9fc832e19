"""User data over the WebSocket API (``/ws-api/v3``), as ccxt.pro and Binance's own clients use it.

``userDataStream.subscribe.signature`` (params ``apiKey``, ``timestamp``, ``signature``, optional
``recvWindow``; signed over the sorted params) answers ``{"id":..,"status":200,"result":
{"subscriptionId":N}}``; from then on the account's events arrive as ``{"subscriptionId":N,
"event":{...}}``. Also ``userDataStream.unsubscribe``, ``ping`` and ``time``. Errors answer
``{"id":..,"status":4xx,"error":{"code":..,"msg":..}}`` and keep the connection open.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.websockets import WebSocket

from services.paper_exchange import signing
from services.paper_exchange.auth import account_for
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.errors import BinanceError
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.hub import Connection
from services.paper_exchange.streams import refused_while_down, serve_connection

router = APIRouter()


def _answer(request_id: Any, result: Any) -> str:
    return json.dumps({"id": request_id, "status": 200, "result": result}, separators=(",", ":"))


def _error(request_id: Any, error: BinanceError) -> str:
    body = {"id": request_id, "status": error.status, "error": {"code": error.code, "msg": error.msg}}
    return json.dumps(body, separators=(",", ":"))


def _subscribe(exchange: PaperExchange, connection: Connection, params: dict[str, Any]) -> int:
    account = account_for(exchange.engine.accounts.by_key, params.get("apiKey"))
    stamp, window = params.get("timestamp"), params.get("recvWindow")
    signing.check_signature(account.secret, signing.ws_payload(params), params.get("signature"))
    signing.check_timestamp(
        None if stamp is None else str(stamp), None if window is None else str(window), wall_ms()
    )
    subscribed = exchange.users.subscribers.setdefault(account.api_key, {})
    if connection not in subscribed:
        subscribed[connection] = exchange.next_subscription_id()
    return subscribed[connection]


def handle(exchange: PaperExchange, connection: Connection, text: str) -> str:
    try:
        request = json.loads(text)
    except ValueError:
        return _error(None, BinanceError(-1000, "Invalid JSON."))
    if not isinstance(request, dict):
        return _error(None, BinanceError(-1000, "Invalid request."))
    request_id, method, params = request.get("id"), request.get("method"), request.get("params") or {}
    try:
        if not isinstance(params, dict):
            raise BinanceError(-1000, "Invalid request: params must be an object.")
        if method == "userDataStream.subscribe.signature":
            return _answer(request_id, {"subscriptionId": _subscribe(exchange, connection, params)})
        if method == "userDataStream.unsubscribe":
            exchange.users.remove(connection)
            exchange.users.connections.add(connection)
            return _answer(request_id, {})
        if method == "ping":
            return _answer(request_id, {})
        if method == "time":
            return _answer(request_id, {"serverTime": wall_ms()})
        raise BinanceError(-1000, f"Unknown method {method!r}; this simulator serves user data only.")
    except BinanceError as e:
        return _error(request_id, e)


@router.websocket("/ws-api/v3")
async def ws_api(websocket: WebSocket) -> None:
    exchange = getattr(websocket.app.state, "exchange", None)
    assert isinstance(exchange, PaperExchange)
    if await refused_while_down(websocket, exchange):  # the user stream goes down with the market's
        return
    await websocket.accept()
    connection = Connection(False, exchange.settings.paper_ws_max_pending)
    exchange.users.connections.add(connection)

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
            connection.push([handle(exchange, connection, text)])

    try:
        await serve_connection(websocket, connection, receive())
    finally:
        exchange.users.remove(connection)
