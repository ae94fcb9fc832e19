"""The intents routes over real HTTP: the caller's proposals, and approve/reject bound to the digest.

An answer with the proposal's digest is one ``ApprovalGiven`` on JetStream (read back from the
stream); a wrong digest, a decided or expired proposal is a 409 and nothing is published; another
user's intent is a 404 for reading and for answering, exactly like an unknown id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.repositories.users import UserRecord
from shared.domain.enums import DecisionOutcome
from shared.messages import subjects
from shared.messages.risk import ApprovalGiven
from tests.integration.api_gateway.trading_support import T0, bearer, seed_intent, stored_messages

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

DB = async_sessionmaker[AsyncSession]


async def approvals_of(js: Any, user: UserRecord) -> list[ApprovalGiven]:
    raw = await stored_messages(js, subjects.TRADING.name, subjects.approvals(str(user.id)))
    return [ApprovalGiven.from_json(data) for data in raw]


# -- READ ----------------------------------------------------------------------------------------


async def test_the_list_shows_the_callers_intents_newest_first_and_filters_the_pending_queue(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    # Arrange
    old = await seed_intent(db, alice.id, status=DecisionOutcome.DENIED, created_at=T0)
    new = await seed_intent(db, alice.id, created_at=T0 + timedelta(minutes=1))
    auth = bearer(alice.id)

    # Act
    every = await api.get("/api/intents", headers=auth)
    pending = await api.get("/api/intents", params={"status": "pending"}, headers=auth)
    one = await api.get(f"/api/intents/{new.intent_id}", headers=auth)

    # Assert
    assert every.status_code == 200, every.text
    assert [i["intent_id"] for i in every.json()["data"]] == [new.intent_id, old.intent_id]
    assert every.json()["next_offset"] is None
    assert [i["intent_id"] for i in pending.json()["data"]] == [new.intent_id]
    body = one.json()
    assert one.status_code == 200
    assert (body["status"], body["digest"], body["symbol"]) == ("pending", new.digest, "BTC/USDT")
    assert (body["quantity"], body["limit_price"], body["reference_price"]) == ("0.01", "30000.5", "30100")


async def test_pages_meet_exactly_at_their_boundaries(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    seeded = [await seed_intent(db, alice.id, created_at=T0 + timedelta(seconds=n)) for n in range(5)]
    newest_first = [i.intent_id for i in reversed(seeded)]
    auth = bearer(alice.id)

    first = (await api.get("/api/intents", params={"limit": 2}, headers=auth)).json()
    second = (await api.get("/api/intents", params={"limit": 2, "offset": 2}, headers=auth)).json()
    last = (await api.get("/api/intents", params={"limit": 2, "offset": 4}, headers=auth)).json()
    exact = (await api.get("/api/intents", params={"limit": 5}, headers=auth)).json()
    beyond = (await api.get("/api/intents", params={"offset": 5}, headers=auth)).json()

    assert (first["limit"], first["offset"], first["next_offset"]) == (2, 0, 2)
    assert (second["offset"], second["next_offset"]) == (2, 4)
    assert last["next_offset"] is None
    pages = first["data"] + second["data"] + last["data"]
    assert [i["intent_id"] for i in pages] == newest_first
    assert len(exact["data"]) == 5 and exact["next_offset"] is None
    assert beyond["data"] == [] and beyond["next_offset"] is None


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "maybe"}, "status"),
    ],
)
async def test_bad_list_parameters_are_a_422_naming_the_parameter(
    api: httpx.AsyncClient, alice: UserRecord, params: dict[str, Any], where: str
) -> None:
    response = await api.get("/api/intents", params=params, headers=bearer(alice.id))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"].startswith(f"{where}:")


async def test_without_a_token_the_intents_are_a_401(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/intents")

    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


# -- APPROVE AND REJECT --------------------------------------------------------------------------


async def test_approving_with_the_digest_publishes_one_approval_even_when_sent_twice(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord
) -> None:
    # Arrange
    intent = await seed_intent(db, alice.id)
    path = f"/api/intents/{intent.intent_id}/approve"
    body = {"digest": intent.digest, "reason": "looks right"}

    # Act: a double click
    first = await api.post(path, json=body, headers=bearer(alice.id))
    second = await api.post(path, json=body, headers=bearer(alice.id))

    # Assert
    assert first.status_code == 202, first.text
    assert first.json() == second.json()
    assert first.json()["intent_id"] == intent.intent_id and first.json()["approve"] is True
    [approval] = await approvals_of(js, alice)
    assert approval.message_id == first.json()["message_id"]
    assert (approval.intent_id, approval.user_id, approval.digest) == (
        intent.intent_id,
        str(alice.id),
        intent.digest,
    )
    assert approval.approve is True and approval.reason == "looks right"
    assert approval.actor == f"user:{alice.id}" and approval.correlation_id == intent.correlation_id


async def test_rejecting_publishes_an_approval_that_says_no(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord
) -> None:
    intent = await seed_intent(db, alice.id)

    response = await api.post(
        f"/api/intents/{intent.intent_id}/reject", json={"digest": intent.digest}, headers=bearer(alice.id)
    )

    assert response.status_code == 202, response.text
    [answer] = await approvals_of(js, alice)
    assert answer.approve is False and answer.intent_id == intent.intent_id and answer.reason == ""


async def test_a_wrong_digest_is_a_409_and_nothing_is_published(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord
) -> None:
    intent = await seed_intent(db, alice.id)

    response = await api.post(
        f"/api/intents/{intent.intent_id}/approve", json={"digest": "0" * 64}, headers=bearer(alice.id)
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "digest_mismatch"
    assert await approvals_of(js, alice) == []


@pytest.mark.parametrize(
    ("status", "expires_in", "code"),
    [
        (DecisionOutcome.APPROVED, timedelta(minutes=5), "not_pending"),
        (DecisionOutcome.EXPIRED, None, "not_pending"),
        (DecisionOutcome.PENDING, timedelta(seconds=-1), "expired"),
    ],
)
async def test_a_proposal_already_decided_or_past_its_time_is_a_409(
    api: httpx.AsyncClient,
    db: DB,
    js: Any,
    alice: UserRecord,
    status: DecisionOutcome,
    expires_in: timedelta | None,
    code: str,
) -> None:
    intent = await seed_intent(db, alice.id, status=status, expires_in=expires_in)

    response = await api.post(
        f"/api/intents/{intent.intent_id}/approve", json={"digest": intent.digest}, headers=bearer(alice.id)
    )

    assert response.status_code == 409 and response.json()["error"]["code"] == code
    assert await approvals_of(js, alice) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"digest": "XYZ"},
        {"digest": "a" * 65},
        {"digest": "a" * 64, "approve": False},
        {"digest": "a" * 64, "reason": "r" * 501},
        {"digest": 12},
        [],
    ],
)
async def test_a_malformed_answer_is_a_422_and_nothing_is_published(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord, body: Any
) -> None:
    intent = await seed_intent(db, alice.id)

    response = await api.post(f"/api/intents/{intent.intent_id}/approve", json=body, headers=bearer(alice.id))

    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    assert await approvals_of(js, alice) == []


async def test_malformed_json_is_a_422(api: httpx.AsyncClient, db: DB, alice: UserRecord) -> None:
    intent = await seed_intent(db, alice.id)

    response = await api.post(
        f"/api/intents/{intent.intent_id}/approve",
        content=b'{"digest": ',
        headers={**bearer(alice.id), "Content-Type": "application/json"},
    )

    assert response.status_code == 422 and "JSON" in response.json()["error"]["message"]


# -- ONE USER, ONE QUEUE -------------------------------------------------------------------------


async def test_a_user_can_neither_read_nor_answer_another_users_proposal(
    api: httpx.AsyncClient, db: DB, js: Any, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange
    alices = await seed_intent(db, alice.id)
    as_bob = bearer(bob.id, app_role="admin")  # admin or not, data stays the owner's

    # Act
    listed = await api.get("/api/intents", headers=as_bob)
    read = await api.get(f"/api/intents/{alices.intent_id}", headers=as_bob)
    approved = await api.post(
        f"/api/intents/{alices.intent_id}/approve", json={"digest": alices.digest}, headers=as_bob
    )
    rejected = await api.post(
        f"/api/intents/{alices.intent_id}/reject", json={"digest": alices.digest}, headers=as_bob
    )
    unknown = await api.get("/api/intents/int-never-made", headers=as_bob)

    # Assert
    assert listed.status_code == 200 and listed.json()["data"] == []
    for response in (read, approved, rejected):
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "intent_not_found", "message": f"no intent {alices.intent_id!r}"}
        }
    assert unknown.status_code == 404
    assert await approvals_of(js, alice) == [] and await approvals_of(js, bob) == []
