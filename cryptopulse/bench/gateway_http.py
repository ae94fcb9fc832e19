"""A minimal HTTP/1.1 client over one kept-alive connection: the cheapest client Python has.

httpx costs about as much CPU per request as a small route costs the server, so 200 httpx
clients on the same two cores would measure the client. This one writes a prepared ``GET`` and
reads the answer by its ``Content-Length``: nothing else (no chunked bodies, which the gateway's
JSON answers never use).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Mapping


class HttpError(Exception):
    """An answer this client cannot read, or a connection that closed mid-answer."""


def get_request(host: str, port: int, path: str, headers: Mapping[str, str] | None = None) -> bytes:
    """The bytes of a kept-alive ``GET path`` with ``headers``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_head(head: bytes) -> tuple[int, int]:
    """``(status, content length)`` of a response head (status line and headers, blank line included)."""
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"expected an HTTP/1.x status line, was {status_line!r}")
    length: int | None = None
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "transfer-encoding":
            raise HttpError(f"expected a Content-Length body, got Transfer-Encoding: {value.strip()}")
        if name == "content-length":
            if not value.strip().isdigit():
                raise HttpError(f"expected a numeric Content-Length, was {value.strip()!r}")
            length = int(value)
    if length is None:
        raise HttpError("expected a Content-Length header")
    return int(parts[1]), length


class HttpConnection:
    """One kept-alive connection; one request at a time.

    The server closes a connection that stays idle longer than its keep-alive timeout (uvicorn's
    is 5 s): a request that finds it closed before any answer opens a new one and is sent again
    once, as browsers and httpx do; that time counts in the request's.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.reopened = 0

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        connection = cls(host, port)
        await connection._open()
        return connection

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self._streams = await asyncio.open_connection(self._host, self._port)
        return self._streams

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send a prepared request; return the status and body."""
        reader, writer = self._streams or await self._open()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as e:
            raise HttpError(f"the answer's head overran the reader's limit: {e}") from None
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            if isinstance(e, asyncio.IncompleteReadError) and e.partial:
                raise HttpError(f"the connection closed mid-answer: {e}") from None
            await self.close()
            self.reopened += 1
            reader, writer = await self._open()
            writer.write(request)
            head = await self._read(reader.readuntil(b"\r\n\r\n"))
        status, length = parse_head(head)
        return status, await self._read(reader.readexactly(length))

    @staticmethod
    async def _read(reading: Awaitable[bytes]) -> bytes:
        try:
            return await reading
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as e:
            raise HttpError(f"the connection closed or overran mid-answer: {e}") from None

    async def close(self) -> None:
        if self._streams is None:
            return
        _, writer = self._streams
        self._streams = None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
