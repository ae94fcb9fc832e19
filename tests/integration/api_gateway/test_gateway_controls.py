"""Rules, trading mode, limits and the audit trail over real HTTP, each user touching only their own.

Rule changes run as the caller, so another user's rule is a 404 and stays as it was; a mode change
is one ``TradingModeRequested`` on JetStream (read back from the stream), autonomous only when
confirmed; a limits change is validated, stored and audited, and a bad one stores nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config.settings import GatewaySettings
from shared.db.repositories.risk_accounts import RiskAccountRepository
from shared.db.repositories.rules import RuleRepository, RuleStatus
from shared.db.repositories.users import UserRecord
from shared.domain.enums import TradingMode
from shared.messages import subjects
from shared.messages.risk import TradingModeRequested
from tests.integration.api_gateway.trading_support import RULE_DEFINITION, bearer, seed_rule, stored_messages

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

DB = async_sessionmaker[AsyncSession]


async def mode_requests_of(js: Any, user: UserRecord) -> list[TradingModeRequested]:
    raw = await stored_messages(js, subjects.TRADING.name, subjects.mode_requests(str(user.id)))
    return [TradingModeRequested.from_json(data) for data in raw]


# -- RULES ---------------------------------------------------------------------------------------


async def test_a_rule_is_listed_paused_resumed_and_deleted(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    # Arrange
    rule = await seed_rule(db, alice.id)
    auth, path = bearer(alice.id), f"/api/rules/{rule.id}"

    # Act
    listed = await api.get("/api/rules", headers=auth)
    read = await api.get(path, headers=auth)
    paused = await api.post(f"{path}/pause", headers=auth)
    paused_again = await api.post(f"{path}/pause", headers=auth)
    resumed = await api.post(f"{path}/resume", headers=auth)
    deleted = await api.delete(path, headers=auth)
    after = await api.get(path, headers=auth)
    listed_after = await api.get("/api/rules", headers=auth)

    # Assert
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["data"]
    assert (shown["id"], shown["status"], shown["definition"]) == (str(rule.id), "active", RULE_DEFINITION)
    assert read.status_code == 200 and read.json() == shown
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused_again.status_code == 409
    assert paused_again.json()["error"] == {
        "code": "rule_not_movable",
        "message": "the rule is paused; it cannot be paused",
    }
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert deleted.status_code == 204 and deleted.content == b""
    assert after.status_code == 404 and listed_after.json()["data"] == []
    stored = await RuleRepository(db).get(rule.id)
    assert stored is not None and stored.status is RuleStatus.DELETED  # soft: kept for the audit


async def test_a_rule_is_created_from_a_valid_definition_as_the_engine_would_load_it(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    definition = {**RULE_DEFINITION, "symbol": "btcusdt"}

    created = await api.post(
        "/api/rules", json={"definition": definition, "fire_once": False}, headers=bearer(alice.id)
    )

    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["symbol"], body["venue"], body["status"], body["fire_once"]) == (
        "BTC/USDT",
        "paper",
        "active",
        False,
    )
    assert body["definition"] == RULE_DEFINITION  # stored in the parser's normal form
    stored = await RuleRepository(db).get(uuid.UUID(body["id"]))
    assert stored is not None and stored.user_id == alice.id and stored.definition == RULE_DEFINITION


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"definition": {**RULE_DEFINITION, "kind": "order", "conditions": []}}, "invalid_rule"),
        ({"definition": {**RULE_DEFINITION, "amount": "-1"}}, "invalid_rule"),
        ({"definition": {**RULE_DEFINITION, "symbol": "<script>"}}, "invalid_rule"),
        (  # a market the platform does not trade: the engine would never see its price
            {
                "definition": {
                    **RULE_DEFINITION,
                    "symbol": "XRP/USDT",
                    "conditions": [{**RULE_DEFINITION["conditions"][0], "symbol": "XRP/USDT"}],
                }
            },
            "invalid_rule",
        ),
        (
            {"definition": {**RULE_DEFINITION, "conditions": [{"indicator": "price", "op": "<"}]}},
            "invalid_rule",
        ),
        ({"definition": "buy the dip"}, "invalid_request"),
        ({"definition": RULE_DEFINITION, "venue": "moon"}, "invalid_request"),
        ({"definition": RULE_DEFINITION, "user_id": "someone-else"}, "invalid_request"),
        ({"definition": RULE_DEFINITION, "fire_once": "no"}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
async def test_a_rule_the_engine_would_refuse_is_a_422_and_is_not_stored(
    api: httpx.AsyncClient, alice: UserRecord, body: dict[str, Any], code: str
) -> None:
    response = await api.post("/api/rules", json=body, headers=bearer(alice.id))

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert (await api.get("/api/rules", headers=bearer(alice.id))).json()["data"] == []


async def test_past_the_most_live_rules_a_user_may_hold_a_create_is_a_409_and_stores_nothing(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    # Arrange: one place short of the cap (the default, 100)
    cap = GatewaySettings.model_fields["rules_max_per_user"].default
    for _ in range(cap - 1):
        await seed_rule(db, alice.id)
    auth = bearer(alice.id)

    # Act
    last = await api.post("/api/rules", json={"definition": RULE_DEFINITION}, headers=auth)
    one_more = await api.post("/api/rules", json={"definition": RULE_DEFINITION}, headers=auth)

    # Assert
    assert last.status_code == 201, last.text
    assert one_more.status_code == 409 and one_more.json()["error"]["code"] == "too_many_rules"
    assert f"({cap} active or paused)" in one_more.json()["error"]["message"]
    assert len(await RuleRepository(db).list(alice.id)) == cap


async def test_an_oversized_rule_is_a_413_and_is_not_stored(
    api: httpx.AsyncClient, alice: UserRecord
) -> None:
    definition = {**RULE_DEFINITION, "padding": "x" * 20_000}

    response = await api.post("/api/rules", json={"definition": definition}, headers=bearer(alice.id))

    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    assert (await api.get("/api/rules", headers=bearer(alice.id))).json()["data"] == []


async def test_rules_page_newest_first(api: httpx.AsyncClient, db: DB, alice: UserRecord) -> None:
    made = [await seed_rule(db, alice.id) for _ in range(3)]
    auth = bearer(alice.id)

    first = (await api.get("/api/rules", params={"limit": 2}, headers=auth)).json()
    rest = (
        await api.get("/api/rules", params={"limit": 2, "offset": first["next_offset"]}, headers=auth)
    ).json()

    assert [r["id"] for r in first["data"] + rest["data"]] == [str(r.id) for r in reversed(made)]
    assert first["next_offset"] == 2 and rest["next_offset"] is None


async def test_a_user_can_neither_see_nor_change_another_users_rule(
    api: httpx.AsyncClient, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    rule = await seed_rule(db, alice.id)
    as_bob, path = bearer(bob.id, app_role="admin"), f"/api/rules/{rule.id}"

    responses = [
        await api.get(path, headers=as_bob),
        await api.post(f"{path}/pause", headers=as_bob),
        await api.post(f"{path}/resume", headers=as_bob),
        await api.delete(path, headers=as_bob),
    ]
    listed = await api.get("/api/rules", headers=as_bob)

    for response in responses:
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "rule_not_found", "message": f"no rule {rule.id}"}}
    assert listed.json()["data"] == []
    stored = await RuleRepository(db).get(rule.id)
    assert stored is not None and stored.status is RuleStatus.ACTIVE


async def test_a_rule_id_that_is_no_uuid_is_a_422_and_a_traversal_finds_no_route(
    api: httpx.AsyncClient, alice: UserRecord
) -> None:
    no_uuid = await api.post("/api/rules/1%20OR%201=1/pause", headers=bearer(alice.id))
    traversal = await api.post("/api/rules/..%2F..%2Fetc%2Fpasswd/pause", headers=bearer(alice.id))

    assert no_uuid.status_code == 422 and no_uuid.json()["error"]["message"].startswith("rule_id:")
    assert traversal.status_code == 404 and traversal.json()["error"]["code"] == "not_found"


# -- MODE ----------------------------------------------------------------------------------------


async def test_the_mode_is_manual_until_the_gate_changes_it(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    before = await api.get("/api/mode", headers=bearer(alice.id))
    await RiskAccountRepository(db).set_mode(alice.id, TradingMode.AUTONOMOUS, "test", confirmed=True)
    after = await api.get("/api/mode", headers=bearer(alice.id))

    assert before.status_code == 200, before.text
    assert (before.json()["mode"], before.json()["reduce_only"]) == ("manual", False)
    assert after.json()["mode"] == "autonomous" and after.json()["updated_at"] is not None


async def test_a_mode_change_is_published_for_the_gate(
    api: httpx.AsyncClient, js: Any, alice: UserRecord
) -> None:
    manual = await api.put("/api/mode", json={"mode": "manual"}, headers=bearer(alice.id))
    autonomous = await api.put(
        "/api/mode", json={"mode": "autonomous", "confirm": True}, headers=bearer(alice.id)
    )

    assert manual.status_code == 202 and autonomous.status_code == 202, autonomous.text
    requests = await mode_requests_of(js, alice)
    assert [(r.mode, r.confirm) for r in requests] == [
        (TradingMode.MANUAL, False),
        (TradingMode.AUTONOMOUS, True),
    ]
    assert [r.message_id for r in requests] == [manual.json()["message_id"], autonomous.json()["message_id"]]
    assert {(r.user_id, r.actor) for r in requests} == {(str(alice.id), f"user:{alice.id}")}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"mode": "autonomous"}, "confirmation_required"),
        ({"mode": "autonomous", "confirm": False}, "confirmation_required"),
        ({"mode": "yolo", "confirm": True}, "invalid_request"),
        ({"mode": "manual", "user_id": "someone-else"}, "invalid_request"),
        ({"mode": "autonomous", "confirm": "yes"}, "invalid_request"),
        ({"mode": "autonomous", "confirm": 1}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
async def test_a_mode_change_that_is_not_clear_is_a_422_and_nothing_is_published(
    api: httpx.AsyncClient, js: Any, alice: UserRecord, body: dict[str, Any], code: str
) -> None:
    response = await api.put("/api/mode", json=body, headers=bearer(alice.id))

    assert response.status_code == 422 and response.json()["error"]["code"] == code
    if code == "confirmation_required":
        assert "confirm=true" in response.json()["error"]["message"]
    assert await mode_requests_of(js, alice) == []


# -- LIMITS AND AUDIT ----------------------------------------------------------------------------


async def test_limits_change_partially_and_every_change_is_audited(
    api: httpx.AsyncClient, alice: UserRecord
) -> None:
    # Arrange
    auth = bearer(alice.id)
    defaults = (await api.get("/api/limits", headers=auth)).json()

    # Act
    changed = await api.put(
        "/api/limits",
        json={
            "max_order_notional": "1000.50",
            "max_open_orders": 10,
            "allowed_symbols": ["btcusdt", "ETH/USDT"],
        },
        headers=auth,
    )
    read_back = await api.get("/api/limits", headers=auth)
    audit = await api.get("/api/audit", headers=auth)

    # Assert
    assert defaults["max_order_notional"] == "25000" and defaults["allowed_symbols"] is None
    assert changed.status_code == 200, changed.text
    assert changed.json() == read_back.json()
    expected = {
        **defaults,
        "max_order_notional": "1000.5",
        "max_open_orders": 10,
        "allowed_symbols": ["BTC/USDT", "ETH/USDT"],
    }
    assert read_back.json() == expected
    [entry] = audit.json()["data"]
    assert (entry["action"], entry["actor"]) == ("risk_limits.set", f"user:{alice.id}")
    assert entry["details"]["changes"]["max_open_orders"] == {"old": 50, "new": 10}
    assert entry["details"]["changes"]["max_order_notional"] == {"old": "25000", "new": "1000.5"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"max_order_notional": "NaN"}, "invalid_request"),
        ({"max_order_notional": "Infinity"}, "invalid_request"),
        ({"max_order_notional": "-5"}, "invalid_request"),
        ({"max_order_notional": 0}, "invalid_request"),
        ({"max_order_notional": "1e30"}, "invalid_request"),
        ({"max_order_notional": "100000000000000000000"}, "invalid_request"),
        ({"max_order_notional": "0.0000000000000000001"}, "invalid_request"),
        ({"max_order_notional": "lots"}, "invalid_request"),
        ({"price_collar_pct": "150"}, "invalid_request"),
        ({"max_open_orders": "ten"}, "invalid_request"),
        ({"max_open_orders": 2.5}, "invalid_request"),
        ({"max_open_orders": 10**9}, "invalid_request"),
        ({"approval_ttl_s": -1}, "invalid_request"),
        ({"max_total_exposure": None}, "invalid_limit"),
        ({"allowed_symbols": []}, "invalid_limit"),
        ({"allowed_symbols": ["<script>alert(1)</script>"]}, "invalid_request"),
        ({"allowed_symbols": ["BTCXYZ"]}, "invalid_limit"),
        ({"allowed_symbols": "BTC/USDT"}, "invalid_request"),
        ({"allowed_symbols": ["X" * 33]}, "invalid_request"),
        ({"max_open_orders": 10, "is_admin": True}, "invalid_request"),
        ({}, "invalid_request"),
    ],
)
async def test_a_bad_limit_is_a_422_with_the_reason_and_stores_nothing(
    api: httpx.AsyncClient, alice: UserRecord, body: dict[str, Any], code: str
) -> None:
    auth = bearer(alice.id)
    before = (await api.get("/api/limits", headers=auth)).json()

    response = await api.put("/api/limits", json=body, headers=auth)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert (await api.get("/api/limits", headers=auth)).json() == before
    assert (await api.get("/api/audit", headers=auth)).json()["data"] == []


async def test_a_nan_literal_in_the_json_is_refused(api: httpx.AsyncClient, alice: UserRecord) -> None:
    response = await api.put(
        "/api/limits",
        content=b'{"daily_loss_limit": NaN}',
        headers={**bearer(alice.id), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert (await api.get("/api/audit", headers=bearer(alice.id))).json()["data"] == []


async def test_the_audit_trail_pages_newest_first_and_is_the_callers_alone(
    api: httpx.AsyncClient, alice: UserRecord, bob: UserRecord
) -> None:
    auth = bearer(alice.id)
    for n in (11, 12, 13):
        assert (await api.put("/api/limits", json={"max_open_orders": n}, headers=auth)).status_code == 200

    first = (await api.get("/api/audit", params={"limit": 2}, headers=auth)).json()
    rest = (await api.get("/api/audit", params={"limit": 2, "offset": 2}, headers=auth)).json()
    bobs = (await api.get("/api/audit", headers=bearer(bob.id))).json()

    news = [e["details"]["changes"]["max_open_orders"]["new"] for e in first["data"] + rest["data"]]
    assert news == [13, 12, 11]
    assert first["next_offset"] == 2 and rest["next_offset"] is None
    assert bobs["data"] == []
    assert (await api.get("/api/limits", headers=bearer(bob.id))).json()["max_open_orders"] == 50
