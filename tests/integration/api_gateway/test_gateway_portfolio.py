"""Orders, fills, positions, balances and P&L over real HTTP, each user seeing only their own.

Rows are seeded as the executor writes them (``service_role``); the gateway reads them as the
caller, so another user's order id is a 404 and their rows never appear in a list.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.repositories.users import UserRecord
from tests.integration.api_gateway.trading_support import (
    T0,
    bearer,
    seed_balance,
    seed_candle,
    seed_fill,
    seed_order,
    seed_position,
)

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

DB = async_sessionmaker[AsyncSession]


# -- ORDERS AND FILLS ----------------------------------------------------------------------------


async def test_orders_are_listed_newest_first_and_filtered_by_status_and_symbol(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    # Arrange
    btc = await seed_order(db, alice.id, status="filled", created_at=T0)
    eth = await seed_order(
        db, alice.id, symbol="ETH/USDT", status="accepted", created_at=T0 + timedelta(seconds=1)
    )
    auth = bearer(alice.id)

    # Act
    every = await api.get("/api/orders", headers=auth)
    open_ones = await api.get("/api/orders", params={"status": "accepted"}, headers=auth)
    btc_only = await api.get("/api/orders", params={"symbol": "btcusdt"}, headers=auth)

    # Assert
    assert every.status_code == 200, every.text
    assert [o["id"] for o in every.json()["data"]] == [str(eth.id), str(btc.id)]
    assert [o["id"] for o in open_ones.json()["data"]] == [str(eth.id)]
    assert [o["id"] for o in btc_only.json()["data"]] == [str(btc.id)]
    assert every.json()["data"][1]["requested_qty"] == "1" and every.json()["data"][1]["status"] == "filled"


async def test_an_order_comes_with_its_fills_and_fills_are_listed_on_their_own(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    order = await seed_order(
        db, alice.id, fills=(("0.4", "30000.10", "0.0004", "BTC"), ("0.6", "29999.90", "0.0006", "BTC"))
    )
    other = await seed_order(db, alice.id, symbol="ETH/USDT", fills=(("2", "2000", "0.002", "ETH"),))
    auth = bearer(alice.id)

    detail = await api.get(f"/api/orders/{order.id}", headers=auth)
    of_order = await api.get("/api/fills", params={"order_id": str(order.id)}, headers=auth)
    of_eth = await api.get("/api/fills", params={"symbol": "ETH/USDT"}, headers=auth)
    paged = await api.get("/api/fills", params={"limit": 2}, headers=auth)

    assert detail.status_code == 200, detail.text
    fills = detail.json()["fills"]
    assert [(f["quantity"], f["price"], f["commission"]) for f in fills] == [
        ("0.4", "30000.1", "0.0004"),
        ("0.6", "29999.9", "0.0006"),
    ]
    assert detail.json()["filled_qty"] == "1"
    assert [f["id"] for f in of_order.json()["data"]] == [fills[1]["id"], fills[0]["id"]]
    assert [f["order_id"] for f in of_eth.json()["data"]] == [str(other.id)]
    assert len(paged.json()["data"]) == 2 and paged.json()["next_offset"] == 2


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/orders", {"symbol": "BTCXYZ"}, 400, "invalid_symbol"),
        ("/api/fills", {"symbol": "not a symbol"}, 422, "invalid_request"),
        ("/api/orders", {"symbol": "X" * 33}, 422, "invalid_request"),
        ("/api/orders", {"status": "lost"}, 422, "invalid_request"),
        ("/api/orders/not-a-uuid", {}, 422, "invalid_request"),
        ("/api/fills", {"order_id": "1; DROP TABLE fills"}, 422, "invalid_request"),
        ("/api/fills", {"limit": 1000}, 422, "invalid_request"),
    ],
)
async def test_bad_order_and_fill_queries_are_refused_with_the_reason(
    api: httpx.AsyncClient, alice: UserRecord, path: str, params: dict[str, object], status: int, code: str
) -> None:
    response = await api.get(path, params=params, headers=bearer(alice.id))

    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


# -- POSITIONS, BALANCES, P&L --------------------------------------------------------------------


async def test_positions_and_balances_are_exact_decimal_strings(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    await seed_position(db, alice.id, "BTC/USDT", "0.123456789012345678", "3703.70")
    await seed_balance(db, alice.id, "USDT", "9700.013", "100.5")
    await seed_balance(db, alice.id, "BTC", "0.00000001", "0")
    auth = bearer(alice.id)

    positions = (await api.get("/api/positions", headers=auth)).json()["data"]
    balances = (await api.get("/api/balances", headers=auth)).json()["data"]

    assert [(p["symbol"], p["quantity"], p["quote_spent"]) for p in positions] == [
        ("BTC/USDT", "0.123456789012345678", "3703.7")
    ]
    assert [(b["asset"], b["free"], b["locked"], b["total"]) for b in balances] == [
        ("BTC", "0.00000001", "0", "0.00000001"),
        ("USDT", "9700.013", "100.5", "9800.513"),
    ]


async def test_pnl_splits_realised_at_average_cost_from_unrealised_at_the_latest_price(
    api: httpx.AsyncClient, db: DB, alice: UserRecord
) -> None:
    # Arrange: buy 2 BTC at 100 (fee 0.2 USDT), sell 1 at 150 (fee 0.15 USDT); the last close is 120
    order = await seed_order(db, alice.id)
    await seed_fill(
        db, alice.id, order.id, side="buy", quantity="2", price="100", commission="0.2", asset="USDT", at=T0
    )
    await seed_fill(
        db, alice.id, order.id, side="sell", quantity="1", price="150", commission="0.15", asset="USDT",
        at=T0 + timedelta(minutes=1),
    )  # fmt: skip
    await seed_position(db, alice.id, "BTC/USDT", "1", "50.35")  # 200.2 - 150 + 0.15
    await seed_position(db, alice.id, "ETH/USDT", "0.5", "1000")  # no ETH candle: unpriced
    await seed_candle(db, "BTC/USDT", T0 + timedelta(days=3650), "999")
    await seed_candle(db, "BTC/USDT", T0 + timedelta(days=3650, minutes=1), "120")

    # Act
    response = await api.get("/api/pnl", headers=bearer(alice.id))

    # Assert: realised 150 - 0.15 - 100.1 = 49.75; unrealised 120 - 100.1 = 19.9
    assert response.status_code == 200, response.text
    btc, eth = response.json()["markets"]
    assert (btc["symbol"], btc["price"], btc["quantity"]) == ("BTC/USDT", "120", "1")
    assert (btc["realised"], btc["unrealised"], btc["total"]) == ("49.75", "19.9", "69.65")
    assert Decimal(btc["realised"]) + Decimal(btc["unrealised"]) == Decimal(btc["total"])
    assert (eth["symbol"], eth["price"], eth["unrealised"], eth["total"], eth["realised"]) == (
        "ETH/USDT", None, None, None, "0"
    )  # fmt: skip
    [usdt] = response.json()["totals"]
    assert usdt == {
        "quote": "USDT", "realised": "49.75", "unrealised": "19.9", "total": "69.65",
        "unpriced": ["paper:ETH/USDT"],
    }  # fmt: skip


async def test_pnl_of_a_user_with_nothing_is_empty(api: httpx.AsyncClient, alice: UserRecord) -> None:
    response = await api.get("/api/pnl", headers=bearer(alice.id))

    assert response.status_code == 200 and response.json() == {"markets": [], "totals": []}


# -- ONE USER, ONE BOOK --------------------------------------------------------------------------


async def test_a_user_sees_nothing_of_another_users_orders_fills_positions_or_balances(
    api: httpx.AsyncClient, db: DB, alice: UserRecord, bob: UserRecord
) -> None:
    # Arrange
    order = await seed_order(db, alice.id, fills=(("1", "30000", "0.001", "BTC"),))
    await seed_position(db, alice.id, "BTC/USDT", "0.999", "30000")
    await seed_balance(db, alice.id, "USDT", "1", "0")
    as_bob = bearer(bob.id, app_role="admin")

    # Act
    read = await api.get(f"/api/orders/{order.id}", headers=as_bob)
    lists = {path: await api.get(path, headers=as_bob) for path in ("/api/orders", "/api/fills")}
    by_order = await api.get("/api/fills", params={"order_id": str(order.id)}, headers=as_bob)
    positions = await api.get("/api/positions", headers=as_bob)
    balances = await api.get("/api/balances", headers=as_bob)
    pnl = await api.get("/api/pnl", headers=as_bob)

    # Assert
    assert read.status_code == 404
    assert read.json() == {"error": {"code": "order_not_found", "message": f"no order {order.id}"}}
    assert all(r.json()["data"] == [] for r in (*lists.values(), by_order, positions, balances))
    assert pnl.json() == {"markets": [], "totals": []}
    assert len((await api.get("/api/orders", headers=bearer(alice.id))).json()["data"]) == 1
