"""Binance's error responses: HTTP status plus ``{"code": -1121, "msg": "Invalid symbol."}``."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response


class BinanceError(Exception):
    """An error the exchange answers in Binance's shape."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def response(self) -> Response:
        body = json.dumps({"code": self.code, "msg": self.msg}, separators=(",", ":"))
        return Response(body, status_code=self.status, headers=self.headers, media_type="application/json")


async def handle_binance_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, BinanceError)
    return exc.response()


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def invalid_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def mandatory(param: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed.")


def illegal_characters(param: str, legal: str) -> BinanceError:
    return BinanceError(-1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'.")


def invalid_value(param: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{param}' is not valid.")


def bad_combination() -> BinanceError:
    return BinanceError(-1128, "Combination of optional parameters invalid.")


def too_much_weight(limit: int, retry_after_s: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
        headers={"Retry-After": str(retry_after_s)},
    )


def for_status(status: int, retry_after_s: int = 1) -> BinanceError:
    """The error Binance answers with ``status`` (used by the ``rest_status`` fault)."""
    if status == 429:
        return too_much_weight(6000, retry_after_s)
    if status == 418:
        return BinanceError(
            -1003, "Way too much request weight used; IP banned. Please use WebSocket Streams for live "
            "updates to avoid bans.", status=418, headers={"Retry-After": str(retry_after_s)},
        )  # fmt: skip
    if status == 503:
        return BinanceError(
            -1008,
            "Server is currently overloaded with other requests. Please try again in a few minutes.",
            status=503,
        )
    if status >= 500:
        return BinanceError(
            -1001, "Internal error; unable to process your request. Please try again.", status
        )
    return BinanceError(-1000, "An unknown error occurred while processing the request.", status)
