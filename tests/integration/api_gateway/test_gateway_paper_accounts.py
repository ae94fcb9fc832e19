"""On the paper venue every new account can trade at once: the gateway opens it a funded account on
the paper exchange, with a key stored like any other (encrypted, never shown). Over real HTTP,
against a real paper exchange, NATS and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.ports import free_port
from services.api_gateway.main import create_app
from shared.auth.tokens import issue_token
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.users import UserRepository
from shared.exchange.binance import create_binance
from shared.secrets.factory import build_cipher
from tests.integration.api_gateway.conftest import AUTH_JWT_SECRET, AuthSettings
from tests.support.asgi_server import serve_in_thread
from tests.support.paper import PaperServer

pytestmark = [pytest.mark.nats, pytest.mark.postgres]
PASSWORD = "correct horse battery staple"
FUNDS = {"USDT": Decimal("2500.5"), "BTC": Decimal("0.1")}


@pytest.fixture(scope="module")
def paper() -> Iterator[PaperServer]:
    server = PaperServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(auth_settings: AuthSettings, paper: PaperServer) -> Iterator[str]:
    with serve_in_thread(
        create_app(auth_settings(gateway_paper_url=paper.http, gateway_paper_funds=FUNDS))
    ) as url:
        yield url


@pytest.fixture(scope="module")
def gateway_without_paper(auth_settings: AuthSettings) -> Iterator[str]:
    """A gateway whose paper exchange is down (nothing listens on its port)."""
    with serve_in_thread(
        create_app(auth_settings(gateway_paper_url=f"http://127.0.0.1:{free_port()}"))
    ) as url:
        yield url


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as client:
        yield client


async def sign_up(client: httpx.AsyncClient) -> dict[str, Any]:
    body = {"email": f"paper-{uuid4().hex[:12]}@example.com", "password": PASSWORD, "display_name": "P"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = {**response.json(), "email": body["email"]}
    return session


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def paper_keys(client: httpx.AsyncClient, session: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get("/api/exchange-keys", headers=bearer(session))
    assert response.status_code == 200, response.text
    return [key for key in response.json()["data"] if key["venue"] == "paper"]


async def test_sign_up_opens_a_funded_paper_account_whose_key_is_stored_for_the_executor(
    client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    auth_sessionmaker: async_sessionmaker[AsyncSession],
    paper: PaperServer,
) -> None:
    session = await sign_up(client)
    [key] = await paper_keys(client, session)
    assert key["label"] == "paper" and "api_secret" not in key
    balances = (await client.get("/api/balances", headers=bearer(session))).json()["data"]
    assert {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in balances} == {
        asset: (amount, Decimal(0)) for asset, amount in FUNDS.items()
    }
    # The stored pair is the exchange's own: it signs for exactly the funds shown.
    keys = ExchangeKeyRepository(auth_sessionmaker, build_cipher(auth_settings()))
    credentials = await keys.load_for_signing(UUID(session["user"]["id"]), "paper")
    exchange = create_binance(
        venue="paper",
        paper_url=paper.http,
        api_key=credentials.api_key.get_secret_value(),
        secret=credentials.api_secret.get_secret_value(),
        pro=False,
    )
    try:
        on_exchange = await exchange.fetch_balance()
    finally:
        await exchange.close()
    assert {asset: Decimal(str(on_exchange[asset]["free"])) for asset in FUNDS} == FUNDS


async def test_logging_in_again_opens_no_second_account(client: httpx.AsyncClient) -> None:
    session = await sign_up(client)
    response = await client.post("/api/auth/login", json={"email": session["email"], "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert len(await paper_keys(client, session)) == 1


async def test_with_the_paper_exchange_down_sign_up_still_works_and_the_next_login_opens_the_account(
    client: httpx.AsyncClient, gateway_without_paper: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway_without_paper, timeout=15) as down:
        session = await sign_up(down)
        assert await paper_keys(down, session) == []
    response = await client.post("/api/auth/login", json={"email": session["email"], "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert len(await paper_keys(client, response.json())) == 1


async def test_a_user_the_identity_provider_made_gets_a_paper_account_at_the_first_me(
    client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    auth_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # Arrange: Supabase made the account (its row carries Supabase's id); it never signs up here
    user = await UserRepository(auth_sessionmaker).create(f"supa-{uuid4().hex[:12]}@example.com", "S")
    session = {"access_token": issue_token(AUTH_JWT_SECRET, user.id)}
    assert await paper_keys(client, session) == []

    # Act
    first = await client.get("/api/auth/me", headers=bearer(session))
    again = await client.get("/api/auth/me", headers=bearer(session))

    # Assert: one funded account, opened once
    assert first.status_code == again.status_code == 200
    (key,) = await paper_keys(client, session)
    assert key["label"] == "paper"
    balances = await client.get("/api/balances", headers=bearer(session))
    assert {b["asset"]: Decimal(b["free"]) for b in balances.json()["data"]} == FUNDS
