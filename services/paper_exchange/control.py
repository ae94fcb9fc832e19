"""Live subscription messages on a stream connection, answered the way Binance answers them.

``{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}`` → ``{"result":null,"id":1}``;
``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``, and ``SET_PROPERTY``/``GET_PROPERTY`` of ``combined``
likewise. Errors use Binance's codes: 3 for text that is not JSON, 2 for an invalid request
(unknown method, bad id, bad params, unknown symbol or stream), 0 for an unknown property; the
connection stays open. A SUBSCRIBE with one bad name subscribes to none of its names.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from services.paper_exchange.hub import MAX_STREAMS, Connection, Hub
from services.paper_exchange.stream_names import StreamNameError, canonical_name, parse_stream

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_MAX_ID_LENGTH = 36

RequestId = int | str | None


class ControlError(Exception):
    def __init__(self, code: int, msg: str, request_id: RequestId) -> None:
        super().__init__(msg)
        self.code, self.msg, self.request_id = code, msg, request_id


def error_frame(code: int, msg: str, request_id: RequestId) -> str:
    return json.dumps({"error": {"code": code, "msg": msg}, "id": request_id}, separators=(",", ":"))


def _result(result: Any, request_id: RequestId) -> str:
    return json.dumps({"result": result, "id": request_id}, separators=(",", ":"))


def _request_id(request: dict[str, Any]) -> RequestId:
    value = request.get("id")
    if value is None or (isinstance(value, str) and len(value) <= _MAX_ID_LENGTH):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
        return value
    raise ControlError(2, "Invalid request: request ID must be an unsigned integer", None)


def _names(params: object, request_id: RequestId) -> list[str]:
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise ControlError(2, "Invalid request: params must be a list of stream names", request_id)
    return params


def handle_control(text: str, connection: Connection, hub: Hub, symbols: Collection[str]) -> str:
    """Apply one client message to ``connection``; return the reply frame."""
    try:
        return _handle(text, connection, hub, symbols)
    except ControlError as e:
        return error_frame(e.code, e.msg, e.request_id)


def _handle(text: str, connection: Connection, hub: Hub, symbols: Collection[str]) -> str:
    try:
        request = json.loads(text)
    except ValueError as e:
        if isinstance(e, json.JSONDecodeError):
            where = f" at line {e.lineno} column {e.colno}"
            raise ControlError(3, f"Invalid JSON: {e.msg.lower()}{where}", None) from None
        raise ControlError(3, "Invalid JSON: not UTF-8 text", None) from None
    if not isinstance(request, dict):
        raise ControlError(2, "Invalid request: expected a JSON object", None)
    request_id = _request_id(request)
    method = request.get("method")
    if method is None:
        raise ControlError(2, "Invalid request: missing field `method`", request_id)
    if method not in METHODS:
        expected = ", ".join(f"`{m}`" for m in METHODS)
        raise ControlError(
            2, f"Invalid request: unknown variant `{method}`, expected one of {expected}", request_id
        )
    params = request.get("params", [])
    if method == "SUBSCRIBE":
        try:
            streams = [parse_stream(name, symbols) for name in _names(params, request_id)]
        except StreamNameError as e:
            raise ControlError(2, f"Invalid request: {e}", request_id) from None
        if len(set(connection.streams) | {s.name for s in streams}) > MAX_STREAMS:
            raise ControlError(2, f"Invalid request: more than {MAX_STREAMS} streams", request_id)
        hub.subscribe(connection, streams)
        return _result(None, request_id)
    if method == "UNSUBSCRIBE":
        names = _names(params, request_id)
        hub.unsubscribe(connection, [canonical_name(n) for n in names])
        return _result(None, request_id)
    if method == "LIST_SUBSCRIPTIONS":
        return _result(list(connection.streams), request_id)
    if not isinstance(params, list) or not params or params[0] != "combined":
        raise ControlError(0, "Unknown property", request_id)
    if method == "GET_PROPERTY":
        return _result(connection.combined, request_id)
    if len(params) != 2 or not isinstance(params[1], bool):
        raise ControlError(1, "Invalid value type: expected Boolean", request_id)
    connection.combined = params[1]
    return _result(None, request_id)
