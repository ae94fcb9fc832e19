"""Refuse request bodies over a size limit with 413, before any route parses them.

The gateway's bodies are small JSON objects (the largest, an exchange key pair, is a few KiB), so
a bigger one is a mistake or an attack. The body is read here, counted as it arrives (so a chunked
upload without ``Content-Length`` cannot slip past), and handed on only when it fits.

A refused body is still read, and dropped, up to ``DRAIN_BYTES``: a client still sending when the
server closes would see the connection reset instead of the 413 that says why. Past that, the
413 goes out anyway and the connection closes.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 16 * 1024
DRAIN_BYTES = 1024 * 1024


class BodyLimit:
    """ASGI middleware: HTTP request bodies up to ``max_bytes``; larger ones get 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self._max_bytes:
            await _drain(receive, 0)
            await self._refuse(send, str(declared))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-body: nobody is left to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_bytes:
                if message.get("more_body", False):
                    await _drain(receive, size)
                await self._refuse(send, f"over {size}")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay() -> Message:
            nonlocal whole
            if whole is not None:
                message, whole = whole, None
                return message
            return await receive()

        await self._app(scope, replay, send)

    async def _refuse(self, send: Send, was: str) -> None:
        message = f"expected a request body of at most {self._max_bytes} bytes, was {was}"
        body = json.dumps({"error": {"code": "body_too_large", "message": message}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive, size: int) -> None:
    while size <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        size += len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
