"""The product's main journey over the API of the stack `cryptopulse up` starts: sign up, chat an
order, see it proposed, approve it, see it filled, stop everything, see the next order refused.

No browser: REST and the one WebSocket, exactly as the web app uses them (``test_journey_browser``
walks the same path through the app). Each step waits for what the previous one caused, so the
tests run in order against one stack and one user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import REAL_TIME, RunningStack, start_stack, stop_stack
from tests.support.journey import (
    Trader,
    approve_and_watch,
    chat_until_decided,
    sign_up,
    wait_for_live_trades,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), REAL_TIME)
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture(scope="module")
def trader(stack: RunningStack) -> Iterator[Trader]:
    with httpx.Client(base_url=stack.gateway, timeout=15) as client:
        yield sign_up(client)


@pytest.fixture(scope="module")
def journey() -> dict[str, Any]:
    """What one step learnt and a later one checks (the intent id, the order)."""
    return {}


def test_a_new_trader_signs_up_with_a_funded_paper_account(stack: RunningStack, trader: Trader) -> None:
    response = trader.get("/api/balances")
    assert response.status_code == 200, response.text
    balances = {b["asset"]: Decimal(b["free"]) for b in response.json()["data"] if b["venue"] == "paper"}
    assert balances.get("USDT", Decimal(0)) > 0, response.json()


def test_chatting_an_order_proposes_it_for_approval(
    stack: RunningStack, trader: Trader, journey: dict[str, Any]
) -> None:
    wait_for_live_trades(stack.gateway)
    decision = asyncio.run(chat_until_decided(stack.gateway, trader, "buy 0.01 BTC"))
    assert decision["outcome"] == "pending", (decision["check"], decision["reason"])
    intent = trader.get(f"/api/intents/{decision['intent_id']}").json()
    asked = (intent["side"], intent["symbol"], Decimal(intent["quantity"]), intent["order_type"])
    assert asked == ("buy", "BTC/USDT", Decimal("0.01"), "market")
    assert intent["status"] == "pending" and intent["digest"] == decision["digest"]
    journey["intent"] = intent


def test_approving_the_proposal_fills_the_order(
    stack: RunningStack, trader: Trader, journey: dict[str, Any]
) -> None:
    intent = journey["intent"]
    events = asyncio.run(approve_and_watch(stack.gateway, trader, intent))
    assert events[-1]["type"] == "order.filled", events
    assert Decimal(events[-1]["cumulative_quantity"]) == Decimal("0.01")
    orders = trader.get("/api/orders").json()["data"]
    [order] = [o for o in orders if o["intent_id"] == intent["intent_id"]]
    assert order["status"] == "filled" and Decimal(order["filled_qty"]) == Decimal("0.01"), order
    fills = [f for f in trader.get("/api/fills").json()["data"] if f["order_id"] == order["id"]]
    assert sum((Decimal(f["quantity"]) for f in fills), Decimal(0)) == Decimal("0.01"), fills
    journey["orders"] = len(orders)


def test_after_the_kill_switch_the_next_chat_order_is_refused(
    stack: RunningStack, trader: Trader, journey: dict[str, Any]
) -> None:
    response = trader.post("/api/kill-switch", {"engaged": True, "reason": "journey: stop everything"})
    assert response.status_code == 200, response.text
    assert response.json()["switch"]["engaged"] is True
    decision = asyncio.run(chat_until_decided(stack.gateway, trader, "buy 0.01 BTC"))
    assert decision["outcome"] == "killed", (decision["check"], decision["reason"])
    assert trader.get(f"/api/intents/{decision['intent_id']}").json()["status"] == decision["outcome"]
    assert len(trader.get("/api/orders").json()["data"]) == journey["orders"]
