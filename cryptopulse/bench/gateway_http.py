"""A minimal HTTP/1.1 client over one kept-alive connection: the cheapest client Python has.

httpx costs about as much CPU per request as a small route costs the server, so 200 httpx
clients on the same two cores would measure the client. This one writes a prepared ``GET`` and
reads the answer by its ``Content-Length``: nothing else (no chunked bodies, which the gateway's
JSON answers never use).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping


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
    """One kept-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send a prepared request; return the status and body."""
        self._writer.write(request)
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
            status, length = parse_head(head)
            body = await self._reader.readexactly(length)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            raise HttpError(f"the connection closed or overran mid-answer: {e}") from None
        return status, body

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
