"""A Sentry ingest endpoint on loopback: accepts envelopes the way sentry.io does and keeps them.

A peer for tests of our error reporting (the SDK talks HTTP to it exactly as it would to
Sentry), not a stand-in for our code. ``dsn`` is what a service is configured with.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.asgi_server import serve_in_thread

PROJECT = "42"
PUBLIC_KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Envelope:
    """One received envelope: its raw (decompressed) text and its items as (header, payload)."""

    raw: str
    items: list[tuple[dict[str, Any], Any]]

    def events(self) -> list[dict[str, Any]]:
        return [payload for header, payload in self.items if header.get("type") == "event"]


@dataclass
class SentryIngest:
    url: str
    envelopes: list[Envelope] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dsn(self) -> str:
        host = self.url.removeprefix("http://")
        return f"http://{PUBLIC_KEY}@{host}/{PROJECT}"

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [event for envelope in self.envelopes for event in envelope.events()]

    def raw(self) -> str:
        with self._lock:
            return "\n".join(envelope.raw for envelope in self.envelopes)

    def wait_for_events(self, count: int, timeout_s: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.events()) >= count:
                return self.events()
            time.sleep(0.05)
        raise AssertionError(f"{count} Sentry events expected, {len(self.events())} arrived")


def parse_envelope(body: bytes) -> Envelope:
    """Split an envelope: a header line, then per item a header line and its payload (``length``
    bytes if given, else up to the next newline)."""
    items: list[tuple[dict[str, Any], Any]] = []
    _, _, rest = body.partition(b"\n")
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] :].removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, payload.decode(errors="replace")))
    return Envelope(body.decode(errors="replace"), items)


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding:
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    return body


@contextmanager
def sentry_ingest() -> Iterator[SentryIngest]:
    """Serve the endpoint until the block ends."""
    received: list[Envelope] = []
    lock = threading.Lock()

    async def envelope(request: Request) -> JSONResponse:
        if request.path_params["project"] != PROJECT or PUBLIC_KEY not in request.headers.get(
            "x-sentry-auth", ""
        ):
            return JSONResponse({"detail": "unknown project or key"}, status_code=403)
        body = _decoded(await request.body(), request.headers.get("content-encoding", ""))
        with lock:
            received.append(parse_envelope(body))
        return JSONResponse({"id": "accepted"})

    app = Starlette(routes=[Route("/api/{project}/envelope/", envelope, methods=["POST"])])
    with serve_in_thread(app) as url:
        ingest = SentryIngest(url, received, lock)
        yield ingest
