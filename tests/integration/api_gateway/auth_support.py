"""What the local-account tests share: the routes, a password, fresh addresses, and the calls a
signed-up user makes (against the ``auth_client`` fixture's gateway)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

AUTH = "/api/auth"
PASSWORD = "correct horse battery"


def email_for(name: str) -> str:
    return f"{name}-{uuid4().hex[:12]}@example.com"


def signup_body(email: str, **overrides: Any) -> dict[str, Any]:
    return {"email": email, "password": PASSWORD, "display_name": "Alice", **overrides}


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def sign_up(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    """Sign ``email`` up; return the session (tokens and user) the gateway answered with."""
    response = await client.post(f"{AUTH}/signup", json=signup_body(email))
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(f"{AUTH}/login", json={"email": email, "password": password})


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(f"{AUTH}/refresh", json={"refresh_token": token})
