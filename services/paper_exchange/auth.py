"""Authenticating a SIGNED REST request, and the response that drops the connection.

Checks in Binance's order: the ``X-MBX-APIKEY`` header (-2014 missing or malformed, -2015
unknown key or a key without the permission), ``timestamp`` present, the HMAC signature over
query string + body (-1022), then the timestamp/recvWindow rule (-1021). Parameters may be in
the query string, the form body, or both; the query string's value wins, as on Binance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.paper_exchange import errors, signing
from services.paper_exchange.accounts import Account
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.rest import exchange_of

_KEY = re.compile(r"^[A-Za-z0-9]{1,128}$")
_UINT = re.compile(r"^[0-9]{1,20}$")


def rejected_key() -> errors.BinanceError:
    return errors.BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def account_for(exchange_accounts: Mapping[str, Account], key: str | None) -> Account:
    if not key or not _KEY.match(key):
        raise errors.BinanceError(-2014, "API-key format invalid.", 401)
    account = exchange_accounts.get(key)
    if account is None:
        raise rejected_key()
    return account


async def signed(request: Request, *, trade: bool = False) -> tuple[Account, dict[str, str]]:
    """The account and the merged parameters of a SIGNED request, or the Binance error."""
    exchange = exchange_of(request)
    account = account_for(exchange.engine.accounts.by_key, request.headers.get("X-MBX-APIKEY"))
    query = request.scope.get("query_string", b"").decode("latin-1")
    body = ""
    if request.method != "GET":
        try:
            body = (await request.body()).decode()
        except UnicodeDecodeError:
            raise errors.BinanceError(-1100, "Illegal characters found in a parameter.") from None
    params = dict(parse_qsl(body, keep_blank_values=True))
    params.update(parse_qsl(query, keep_blank_values=True))
    if not params.get("timestamp"):
        raise errors.mandatory("timestamp")
    payload, signature = signing.rest_payload(query, body)
    signing.check_signature(account.secret, payload, signature)
    signing.check_timestamp(params.get("timestamp"), params.get("recvWindow"), wall_ms())
    if trade and not account.can_trade:
        raise rejected_key()
    return account, params


def uint(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _UINT.match(text):
        raise errors.illegal_characters(name, "^[0-9]{1,20}$")
    return int(text)


RAW_RECEIVE = "paper_exchange.raw_receive"


class KeepRawReceive:
    """Outermost middleware: remembers the server's own ``receive`` for ``DroppedConnection``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_RECEIVE] = receive
        await self.app(scope, receive, send)


class ConnectionDropped(Exception):
    """Raised after the response has started, so the server closes the connection mid-answer."""


class DroppedConnection(Response):
    """The ``after_accept_drop`` fault: headers announce a body that never comes; the server then
    closes the socket, and the client sees the connection break with the outcome unknown."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn's receive is a method of the request cycle, which holds the socket: closing it
        # is what a peer that vanishes looks like (the client reads "server disconnected").
        cycle = getattr(scope.get(RAW_RECEIVE), "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is not None and hasattr(transport, "close"):
            transport.close()  # what follows is written to a closed socket: nobody receives it
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise ConnectionDropped("connection dropped after the order was accepted (after_accept_drop fault)")
