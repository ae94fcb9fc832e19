"""A trader of the running stack, signed up through the gateway's API, for the journey tests."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
from websockets.sync.client import connect

PASSWORD = "correct horse battery staple"


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
            if json.loads(socket.recv(timeout=left)).get("type") == "trade":
                seen += 1
