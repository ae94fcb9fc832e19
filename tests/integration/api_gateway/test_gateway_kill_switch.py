"""The kill switch over real HTTP: the caller's own switch, the global one for admins only, and the
flag in PostgreSQL first, so pressing it works even when NATS is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from services.api_gateway.main import create_app
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.users import UserRecord
from shared.domain.enums import KillScope
from shared.messages import subjects
from tests.integration.api_gateway.trading_support import bearer, stored_messages, trading_gateway_settings
from tests.support.asgi_server import serve_in_thread

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

DB = async_sessionmaker[AsyncSession]
KILL = "/api/kill-switch"


async def kill_messages(js: Any, user_id: str | None) -> list[dict[str, Any]]:
    """The ``sys.kill`` messages about one user's switch (or the global one), oldest first."""
    raw = await stored_messages(js, subjects.SYSTEM.name, subjects.KILL_SWITCH)
    return [m for m in map(json.loads, raw) if m["user_id"] == user_id]


@pytest.fixture
async def global_switch_released(db: DB) -> Any:
    """Leave the global switch off for the tests after this one, whatever this one did."""
    yield
    await KillSwitchRepository(db).release(KillScope.GLOBAL, None, "test-cleanup")


async def test_engaging_stores_the_flag_then_tells_every_service_and_releasing_undoes_it(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord
) -> None:
    # Arrange
    auth = bearer(alice.id)
    untouched = await api.get(KILL, headers=auth)

    # Act
    engaged = await api.post(KILL, json={"engaged": True, "reason": "  market looks wrong "}, headers=auth)
    stopped = await api.get(KILL, headers=auth)
    flag = await KillSwitchRepository(db).engaged_for(alice.id)
    released = await api.post(KILL, json={"engaged": False}, headers=auth)
    running = await api.get(KILL, headers=auth)

    # Assert
    assert untouched.json() == {"user": None, "global": None, "stopped": False}
    assert engaged.status_code == 200, engaged.text
    assert engaged.json()["notified"] is True
    switch = engaged.json()["switch"]
    assert (switch["scope"], switch["engaged"], switch["reason"]) == ("user", True, "market looks wrong")
    assert switch["actor"] == f"user:{alice.id}" and switch["engaged_at"] is not None
    assert stopped.json()["stopped"] is True and stopped.json()["user"] == switch
    assert flag is not None and flag.scope is KillScope.USER and flag.reason == "market looks wrong"
    assert released.status_code == 200 and released.json()["switch"]["engaged"] is False
    assert running.json()["stopped"] is False and running.json()["user"]["engaged"] is False
    assert await KillSwitchRepository(db).engaged_for(alice.id) is None
    messages = await kill_messages(js, str(alice.id))
    assert [(m["type"], m["scope"]) for m in messages] == [
        ("sys.kill_engaged", "user"),
        ("sys.kill_released", "user"),
    ]
    assert messages[0]["reason"] == "market looks wrong"
    audit = (await api.get("/api/audit", headers=auth)).json()["data"]
    assert [e["action"] for e in audit] == ["kill_switch.release", "kill_switch.engage"]


async def test_the_global_switch_is_for_admins_and_stops_everyone(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord, bob: UserRecord, global_switch_released: None
) -> None:
    # Act
    refused = await api.post(
        KILL,
        json={"engaged": True, "reason": "not mine to press", "scope": "global"},
        headers=bearer(alice.id),
    )
    refused_state = await api.get(KILL, headers=bearer(alice.id))
    engaged = await api.post(
        KILL,
        json={"engaged": True, "reason": "exchange incident", "scope": "global"},
        headers=bearer(bob.id, app_role="admin"),
    )
    seen_by_alice = await api.get(KILL, headers=bearer(alice.id))

    # Assert
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_only"
    assert refused_state.json()["global"] is None or refused_state.json()["global"]["engaged"] is False
    assert engaged.status_code == 200, engaged.text
    assert (
        engaged.json()["switch"]["scope"] == "global"
        and engaged.json()["switch"]["actor"] == f"admin:{bob.id}"
    )
    assert seen_by_alice.json()["stopped"] is True and seen_by_alice.json()["user"] is None
    assert seen_by_alice.json()["global"]["reason"] == "exchange incident"
    assert (await KillSwitchRepository(db).engaged_for(alice.id)) is not None
    globals_ = await kill_messages(js, None)
    assert [m["reason"] for m in globals_ if m["type"] == "sys.kill_engaged"][-1] == "exchange incident"
    assert all(m["reason"] != "not mine to press" for m in globals_ if m["type"] == "sys.kill_engaged")


async def test_a_user_does_not_see_another_users_switch(
    api: httpx.AsyncClient, alice: UserRecord, bob: UserRecord
) -> None:
    await api.post(KILL, json={"engaged": True, "reason": "alice stops"}, headers=bearer(alice.id))

    bobs = await api.get(KILL, headers=bearer(bob.id))

    assert bobs.json()["user"] is None and bobs.json()["stopped"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"engaged": True},
        {"engaged": True, "reason": "   "},
        {"engaged": "yes", "reason": "x"},
        {"engaged": True, "reason": "x" * 501},
        {"engaged": True, "reason": "x", "scope": "everyone"},
        {"engaged": True, "reason": "x", "user_id": "someone-else"},
        {"reason": "x"},
    ],
)
async def test_an_unclear_press_is_a_422_and_changes_nothing(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord, body: dict[str, Any]
) -> None:
    response = await api.post(KILL, json=body, headers=bearer(alice.id))

    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    assert await KillSwitchRepository(db).engaged_for(alice.id) is None
    assert await kill_messages(js, str(alice.id)) == []


# -- NATS DOWN -----------------------------------------------------------------------------------


@pytest.fixture
def gateway_on_own_nats(
    fresh_nats: NatsServer, trading_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, NatsServer]]:
    settings = trading_gateway_settings(fresh_nats.url, trading_database_url, tmp_path_factory)
    with serve_in_thread(create_app(settings)) as url:
        yield url, fresh_nats


async def test_with_nats_down_the_switch_is_still_stored_and_the_answer_says_nobody_was_told(
    gateway_on_own_nats: tuple[str, NatsServer], db: DB, alice: UserRecord
) -> None:
    # Arrange
    url, nats_server = gateway_on_own_nats
    nats_server.stop()

    # Act
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post(
            KILL, json={"engaged": True, "reason": "bus is down"}, headers=bearer(alice.id)
        )

    # Assert: the risk gate and the executor read this flag before every decision and send
    assert response.status_code == 200, response.text
    assert response.json()["notified"] is False and response.json()["switch"]["engaged"] is True
    flag = await KillSwitchRepository(db).engaged_for(alice.id)
    assert flag is not None and flag.reason == "bus is down"
