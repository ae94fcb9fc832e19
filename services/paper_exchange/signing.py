"""Binance's request signing and timing rules, as pure functions so the documented examples can be
checked byte for byte.

REST: the signed payload is the raw query string concatenated *without a separator* to the raw
form body, each with its ``signature=`` parameter removed; nothing is decoded or re-encoded, so
what the client signed is exactly what is checked. WebSocket API: the params other than
``signature`` sorted by name and joined as ``k=v&...`` with raw (unencoded) values.
HMAC-SHA256 hex signatures are compared case-insensitively, as Binance does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from decimal import Decimal

from services.paper_exchange.errors import BinanceError, illegal_characters, mandatory

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60_000
_RECV_WINDOW = re.compile(r"^[0-9]{1,5}(\.[0-9]{1,3})?$")
_TIMESTAMP = re.compile(r"^[0-9]{1,19}$")


def hmac_sha256(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _without_signature(part: str) -> tuple[str, str | None]:
    kept, signature = [], None
    for item in part.split("&") if part else []:
        if item.startswith("signature="):
            signature = item[len("signature=") :]
        else:
            kept.append(item)
    return "&".join(kept), signature


def rest_payload(query: str, body: str) -> tuple[str, str | None]:
    """``(signed payload, signature or None)`` of a REST request; the query's signature wins."""
    query_part, query_signature = _without_signature(query)
    body_part, body_signature = _without_signature(body)
    return query_part + body_part, query_signature if query_signature is not None else body_signature


def ws_payload(params: Mapping[str, object]) -> str:
    """The WebSocket API's payload: every param but ``signature``, sorted, raw values."""
    return "&".join(f"{k}={_text(params[k])}" for k in sorted(params) if k != "signature")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_signature(secret: str, payload: str, signature: str | None) -> None:
    if not signature:
        raise mandatory("signature")
    expected = hmac_sha256(secret, payload)
    if not hmac.compare_digest(expected, signature.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")


def check_timestamp(timestamp: str | None, recv_window: str | None, now_ms: int) -> None:
    """Binance's rule: accept if ``timestamp < now + 1 s`` and ``now - timestamp <= recvWindow``.

    A 16-digit timestamp is read as microseconds; recvWindow may carry three decimals (µs).
    """
    if timestamp is None or timestamp == "":
        raise mandatory("timestamp")
    if not _TIMESTAMP.match(timestamp):
        raise BinanceError(
            -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,19}$'."
        )
    stamp_us = int(timestamp) if len(timestamp) >= 16 else int(timestamp) * 1000
    window_us = DEFAULT_RECV_WINDOW_MS * 1000
    if recv_window is not None and recv_window != "":
        if not _RECV_WINDOW.match(recv_window):
            raise illegal_characters("recvWindow", _RECV_WINDOW.pattern)
        window_us = int(Decimal(recv_window) * 1000)
        if window_us > MAX_RECV_WINDOW_MS * 1000:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
    now_us = now_ms * 1000
    if stamp_us >= now_us + 1_000_000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_us - stamp_us > window_us:
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
