"""``/api/ws``: the one WebSocket of a browser tab — live market data, and once signed in, the user's chat.

Frames the client sends (JSON objects, ``action`` first):

- ``{"action": "subscribe", "symbol": "BTC/USDT", "interval": "1m"}`` (or ``?symbol=&interval=`` on
  the URL): trades and closed candles of that market; a new subscription replaces the old one.
  Trades come batched, at most one frame per ``CRYPTOPULSE_GATEWAY_TICK_FLUSH_MS``, as
  ``{"type": "trades", "symbol": …, "trades": [{"trade_id", "price", "quantity", "ts"}, …]}``
  oldest first (with the interval set to 0, one ``{"type": "trade", "symbol", "trade_id", …}`` each);
  a candle comes after every trade that arrived before it.
- ``{"action": "auth", "token": "<access token>"}``: sign the socket in (browsers cannot set headers
  on a WebSocket, and a token on the URL ends up in access logs). Send it again with a refreshed
  token before the old one expires. From then on the user's own chat replies, risk decisions,
  order events and kill-switch news arrive as the bus carries them (their ``type`` says which).
- ``{"action": "chat", "conversation_id": "default", "text": "buy 0.01 BTC", "client_message_id": "…"}``:
  published to the agent; answered by ``chat.accepted`` with the ``request_id`` that the streamed
  ``chat.replied`` chunks carry. ``client_message_id`` makes a resend after a reconnect safe: the
  same id gives the same request id and JetStream keeps one.
- ``{"action": "sign_out"}``, ``{"action": "unsubscribe"}``, ``{"action": "ping"}``.

Bad frames get an ``error`` event and the connection stays open; nothing a bad frame carries is
published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.api_gateway.api.deps import GatewayState
from services.api_gateway.api.routes.market import CHART_INTERVALS, resolve_interval, resolve_symbol
from services.api_gateway.client_feed import ClientFeed, SignedIn
from services.api_gateway.errors import ApiError
from shared.auth.tokens import TokenError
from shared.messages import subjects
from shared.messages.base import derived_id, to_ms, utc_now
from shared.messages.chat import ChatRequested
from shared.messaging.publisher import PublishFailed
from shared.telemetry.tracing import hashed, new_trace

router = APIRouter()
_MAX_FRAME = 8192
CHAT_WINDOW_S = 10.0
CHAT_PER_WINDOW = 10
"""Chat messages one socket may send per window: a person types slower; a loop gets told to wait."""


class ChatFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str
    conversation_id: str = Field("default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=4000)
    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@dataclass
class Socket:
    """One connection: its feed, and when it last sent chat (for the throttle)."""

    client: ClientFeed = field(default_factory=ClientFeed)
    chat_times: deque[float] = field(default_factory=deque)

    def chat_allowed(self, now: float) -> float | None:
        """``None`` if a chat message may go now, else the seconds to wait."""
        while self.chat_times and now - self.chat_times[0] >= CHAT_WINDOW_S:
            self.chat_times.popleft()
        if len(self.chat_times) >= CHAT_PER_WINDOW:
            return CHAT_WINDOW_S - (now - self.chat_times[0])
        self.chat_times.append(now)
        return None


def _event(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields})


def _error(code: str, message: str, **about: str) -> str:
    return _event("error", code=code, message=message, **about)


def _subscribe(state: GatewayState, client: ClientFeed, request: dict[str, Any]) -> str:
    symbol = resolve_symbol(str(request.get("symbol", "")), state.settings.gateway_symbols)
    interval = resolve_interval(str(request.get("interval", "1m")), tuple(i.value for i in CHART_INTERVALS))
    state.hub.watch(client, symbol, interval.value)
    return _event("subscribed", symbol=symbol, interval=interval.value)


async def _auth(state: GatewayState, client: ClientFeed, request: dict[str, Any]) -> str:
    token = request.get("token")
    if not isinstance(token, str) or not token:
        return _error("invalid_request", "token: expected the access token as a string")
    if state.verifier is None:
        return _error("auth_not_configured", "sign-in is not configured on this server")
    try:
        claims = await state.verifier.verify(token)
    except TokenError as e:
        state.users_hub.sign_out(client)
        return _error("invalid_token", f"token refused: {e.reason}")
    if await state.users.get(claims.sub) is None:
        # A valid token of someone with no account here (e.g. issued by Supabase before sign-up).
        state.users_hub.sign_out(client)
        return _error("no_account", "this token's user has no account here: sign up first")
    if state.paper_accounts is not None:  # an identity provider's user never signed up here
        await state.paper_accounts.try_ensure(claims.sub)
    who = SignedIn.of(claims)
    state.users_hub.sign_in(client, who)
    return _event("authenticated", user_id=who.user_id, expires_at=to_ms(who.expires_at))


async def _chat(state: GatewayState, socket: Socket, request: dict[str, Any]) -> str:
    ref = request.get("client_message_id")
    # Errors name the message they refuse, so the app marks that one failed and keeps its text.
    about = {"client_message_id": ref} if isinstance(ref, str) and len(ref) <= 64 else {}
    who = state.users_hub.current(socket.client)
    if who is None:
        return _error("not_authenticated", 'sign in first: {"action": "auth", "token": "…"}', **about)
    try:
        frame = ChatFrame.model_validate(request)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return _error("invalid_request", f"{where}: {first['msg']}", **about)
    wait = socket.chat_allowed(time.monotonic())
    if wait is not None:
        return _error("rate_limited", f"too many chat messages: retry in {wait:.1f} s", **about)
    request_id = derived_id("chat", who.user_id, frame.client_message_id)
    message = ChatRequested(
        message_id=request_id,
        user_id=who.user_id,
        conversation_id=frame.conversation_id,
        text=frame.text,
        ts_event=utc_now(),
    )
    try:
        with new_trace("chat message", _chat_attributes(who.user_id, request_id, frame.conversation_id)):
            await state.publisher.publish(subjects.chat_requests(who.user_id), message)
    except PublishFailed:
        socket.chat_times.pop()  # not sent, so not counted
        return _error("chat_unavailable", "the chat is unavailable right now: send it again", **about)
    return _event(
        "chat.accepted",
        request_id=request_id,
        client_message_id=frame.client_message_id,
        conversation_id=frame.conversation_id,
    )


def _chat_attributes(user_id: str, request_id: str, conversation_id: str) -> dict[str, str]:
    """What a chat message's trace says about it: no text, no e-mail, the user only pseudonymised."""
    return {
        "cryptopulse.user_hash": hashed(user_id),
        "cryptopulse.chat.request_id": request_id,
        "cryptopulse.chat.conversation_id": conversation_id,
    }


async def handle_frame(state: GatewayState, socket: Socket, frame: str) -> str | None:
    """Apply one client frame; return the reply to send, if any."""
    if len(frame) > _MAX_FRAME:
        return _error("frame_too_large", f"expected at most {_MAX_FRAME} bytes, was {len(frame)}")
    try:
        request = json.loads(frame)
    except json.JSONDecodeError:
        return _error("malformed_json", "expected a JSON object")
    if not isinstance(request, dict):
        return _error("malformed_json", "expected a JSON object")
    action = request.get("action")
    client = socket.client
    try:
        if action == "subscribe":
            return _subscribe(state, client, request)
        if action == "unsubscribe":
            state.hub.watch(client, None, None)
            return _event("unsubscribed")
        if action == "auth":
            return await _auth(state, client, request)
        if action == "sign_out":
            state.users_hub.sign_out(client)
            return _event("signed_out")
        if action == "chat":
            return await _chat(state, socket, request)
        if action == "ping":
            return _event("pong")
    except ApiError as e:
        return _error(e.code, e.message)
    return _error(
        "unknown_action",
        f"expected action subscribe, unsubscribe, auth, sign_out, chat or ping, was {action!r}",
    )


@router.websocket("/ws")
async def market_socket(websocket: WebSocket) -> None:
    state: GatewayState = websocket.app.state.gateway
    await websocket.accept()
    socket = Socket()
    state.hub.connect(socket.client)
    sender = asyncio.create_task(_pump(websocket, socket.client))
    try:
        if "symbol" in websocket.query_params:
            query = json.dumps({"action": "subscribe", **websocket.query_params})
            reply = await handle_frame(state, socket, query)
            if reply is not None:
                socket.client.offer(reply)
        while True:
            reply = await handle_frame(state, socket, await websocket.receive_text())
            if reply is not None:
                socket.client.offer(reply)
    except WebSocketDisconnect:
        pass
    finally:
        state.users_hub.sign_out(socket.client)
        state.hub.disconnect(socket.client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _pump(websocket: WebSocket, client: ClientFeed) -> None:
    while True:
        event = await client.outbox.get()
        await websocket.send_text(event)
