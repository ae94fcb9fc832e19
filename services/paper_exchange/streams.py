"""WebSocket market streams on Binance's paths: ``/ws/<stream>``, ``/stream?streams=a/b``, and
``/ws`` or ``/stream`` alone for clients that SUBSCRIBE live (as ccxt.pro does).

Path segments without ``@`` are ignored rather than refused: ccxt.pro opens ``/ws/0``, ``/ws/1``,
... and numbers its connections that way. A bad stream name in the URL gets an error frame and a
close (1008), since nothing could ever arrive; a bad name in a SUBSCRIBE just gets the error.
Server pings and pong replies are the WebSocket protocol layer's (uvicorn, every
``paper_ws_ping_interval_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from services.paper_exchange.control import error_frame, handle_control
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.hub import POLICY_VIOLATION, Connection
from services.paper_exchange.stream_names import StreamName, StreamNameError, parse_stream

router = APIRouter()


async def serve_connection(
    websocket: WebSocket, connection: Connection, receive: Coroutine[Any, Any, None]
) -> None:
    """Write the connection's outbox and run ``receive`` until either ends; then stop both."""
    tasks = [asyncio.create_task(pump(websocket, connection)), asyncio.create_task(receive)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task


async def pump(websocket: WebSocket, connection: Connection) -> None:
    """Write queued frames; close when asked to (fault, slow consumer, shutdown)."""
    send = websocket.send
    outbox = connection.outbox
    while True:
        await connection.wakeup.wait()
        connection.wakeup.clear()
        while outbox and connection.closing is None:
            await send({"type": "websocket.send", "text": outbox.popleft()})
        if connection.closing is not None:
            code, reason = connection.closing
            await websocket.close(code, reason)
            return


async def _receive(websocket: WebSocket, connection: Connection, exchange: PaperExchange) -> None:
    symbols = exchange.specs.keys()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            try:
                text = data.decode()
            except UnicodeDecodeError:
                text = "\x00"  # answered as invalid JSON
        connection.push([handle_control(text, connection, exchange.hub, symbols)])


async def refused_while_down(websocket: WebSocket, exchange: PaperExchange) -> bool:
    """The ``streams_down`` fault: refuse the handshake with a 503, as a venue in trouble does."""
    if not exchange.faults.current.streams_down:
        return False
    body = {"code": -1008, "msg": "Service Unavailable: streams are down (fault injected)."}
    await websocket.send_denial_response(JSONResponse(body, status_code=503))
    return True


async def _serve(websocket: WebSocket, names: list[str], combined: bool) -> None:
    exchange = getattr(websocket.app.state, "exchange", None)
    assert isinstance(exchange, PaperExchange)
    if await refused_while_down(websocket, exchange):
        return
    await websocket.accept()
    try:
        streams: list[StreamName] = [parse_stream(n, exchange.specs.keys()) for n in names if "@" in n]
    except StreamNameError as e:
        await websocket.send_text(error_frame(2, f"Invalid request: {e}", None))
        await websocket.close(POLICY_VIOLATION, "invalid stream name")
        return
    connection = Connection(combined, exchange.settings.paper_ws_max_pending)
    exchange.hub.add(connection)
    exchange.hub.subscribe(connection, streams)
    exchange.metrics.ws_connections.inc()
    try:
        await serve_connection(websocket, connection, _receive(websocket, connection, exchange))
    finally:
        exchange.hub.remove(connection)
        exchange.metrics.ws_connections.dec()


@router.websocket("/ws")
async def raw_bare(websocket: WebSocket) -> None:
    await _serve(websocket, [], combined=False)


@router.websocket("/ws/{path:path}")
async def raw_streams(websocket: WebSocket, path: str) -> None:
    await _serve(websocket, [p for p in path.split("/") if p], combined=False)


@router.websocket("/stream")
async def combined_streams(websocket: WebSocket) -> None:
    names = websocket.query_params.get("streams", "")
    await _serve(websocket, [n for n in names.split("/") if n], combined=True)
