"""A trader of the running stack, signed up through the gateway's API, for the journey tests."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.sync.client import connect

PASSWORD = "correct horse battery staple"
EVENT_TIMEOUT_S = 60


@dataclass(frozen=True)
class Trader:
    """A signed-up user and a client that sends their access token with every request."""

    email: str
    password: str
    access_token: str
    client: httpx.Client

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self._auth)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, json=body, headers=self._auth)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def new_email() -> str:
    return f"trader-{uuid4().hex[:12]}@example.com"


def log_in(client: httpx.Client, email: str, password: str = PASSWORD) -> Trader:
    """A session of an existing account through ``POST /api/auth/login``."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return Trader(email, password, response.json()["access_token"], client)


def sign_up(client: httpx.Client, email: str | None = None) -> Trader:
    """A new local account through ``POST /api/auth/signup``, as the sign-up form makes one."""
    email = email or new_email()
    body = {"email": email, "password": PASSWORD, "display_name": "Journey"}
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return Trader(email, PASSWORD, response.json()["access_token"], client)


def wait_for_live_trades(gateway: str, trades: int = 2, timeout_s: float = 60) -> None:
    """Return once ``trades`` BTC/USDT trades came through the gateway's socket.

    Until market data flows the risk gate has no reference price and, rightly, refuses every
    order; a freshly started stack on a busy machine takes a while to get there.
    """
    url = gateway.replace("http", "ws") + "/api/ws?symbol=BTC/USDT&interval=1m"
    deadline = time.monotonic() + timeout_s
    seen = 0
    with connect(url) as socket:
        while seen < trades:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no BTC/USDT trades on {url} within {timeout_s:.0f} s")
            event = json.loads(socket.recv(timeout=left))
            if event.get("type") == "trades":  # batched every flush interval
                seen += len(event["trades"])


async def open_socket(gateway: str, trader: Trader) -> ClientConnection:
    """The trader's WebSocket, signed in, as the web app opens it."""
    socket = await websockets.connect(gateway.replace("http", "ws") + "/api/ws")
    await socket.send(json.dumps({"action": "auth", "token": trader.access_token}))
    assert (await next_event(socket, lambda e: e["type"] in ("authenticated", "error")))[
        "type"
    ] == "authenticated"
    return socket


async def next_event(socket: ClientConnection, wanted: Any) -> dict[str, Any]:
    """The next event ``wanted`` accepts; errors the socket reports fail the test at once."""
    async with asyncio.timeout(EVENT_TIMEOUT_S):
        while True:
            event = json.loads(await socket.recv())
            if wanted(event):
                return dict(event)
            assert event["type"] != "error", event


async def chat_until_decided(gateway: str, trader: Trader, text: str) -> dict[str, Any]:
    """Send ``text`` to the copilot and return the risk gate's decision on what it proposed."""
    async with await open_socket(gateway, trader) as socket:
        await socket.send(json.dumps({"action": "chat", "text": text, "client_message_id": uuid4().hex}))
        await next_event(socket, lambda e: e["type"] == "chat.accepted")
        return await next_event(socket, lambda e: e["type"] == "risk.decision")


async def approve_and_watch(gateway: str, trader: Trader, intent: dict[str, Any]) -> list[dict[str, Any]]:
    """Approve the pending ``intent``; return its order's events up to the last one."""
    async with await open_socket(gateway, trader) as socket:
        response = trader.post(f"/api/intents/{intent['intent_id']}/approve", {"digest": intent["digest"]})
        assert response.status_code == 202, response.text
        decision = await next_event(socket, lambda e: e["type"] == "risk.decision")
        assert decision["outcome"] == "approved", decision
        events = [await next_event(socket, lambda e: e["type"].startswith("order."))]
        while events[-1]["type"] not in ("order.filled", "order.rejected", "order.expired"):
            events.append(await next_event(socket, lambda e: e["type"].startswith("order.")))
        return events
