"""The product's main journey in the browser, against the stack `cryptopulse up` starts: sign up,
chat "buy 0.01 BTC", see the proposal card, approve it, see the fill in the orders and on the chart,
stop everything with the kill switch, and see the next chat order refused. A screenshot of each
step is saved.

The app is found by the names and test ids of the UI contract (accessible names first); what it
shows is checked against what the API says of the same intent and order. The steps share one page
and one trader, in order: each starts where the previous one left the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.conftest import REAL_TIME, RunningStack, start_stack, stop_stack
from tests.support.browser import Screenshots, launch_chromium
from tests.support.journey import PASSWORD, Trader, log_in, new_email, wait_for_live_trades

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
UI_TIMEOUT_MS = 30_000
FILL_TIMEOUT_MS = 90_000


@dataclass
class Journey:
    """The browser page, the trader it signed up, and what each step leaves for the next."""

    page: Page
    screenshots: Screenshots
    client: httpx.Client
    email: str
    api: Trader | None = None
    intent: dict[str, Any] = field(default_factory=dict)
    orders: int = 0

    @property
    def trader(self) -> Trader:
        assert self.api is not None, "the sign-up step did not finish"
        return self.api


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), REAL_TIME)
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture(scope="module")
def journey(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, httpx.Client(base_url=stack.gateway, timeout=15) as client:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(stack.gateway + "/")
            journey = Journey(page, Screenshots(tmp_path_factory.mktemp("screenshots")), client, new_email())
            yield journey
            journey.screenshots.take(page, "last")  # where the journey ended, if a step failed
        finally:
            browser.close()


def chat(page: Page, text: str) -> None:
    page.get_by_label("Message the copilot").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def proposal_cards(intent_id: str) -> str:
    """The selector of the cards that show one intent."""
    return f'[data-testid="proposal-card"][data-intent-id="{intent_id}"]'


def chat_card(page: Page, intent_id: str) -> Locator:
    return page.get_by_test_id("chat-log").locator(proposal_cards(intent_id))


def newest_intent(trader: Trader, after: str | None = None) -> dict[str, Any]:
    """The trader's newest intent (other than ``after``), as the API lists it."""
    intents: list[dict[str, Any]] = trader.get("/api/intents").json()["data"]
    fresh = [i for i in intents if i["intent_id"] != after]
    assert fresh, intents
    return max(fresh, key=lambda i: str(i["created_at"]))


def test_a_visitor_signs_up_and_lands_in_the_app(journey: Journey) -> None:
    from playwright.sync_api import expect

    page = journey.page
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-status", "connected")
    journey.screenshots.take(page, "0-signed-out")
    page.get_by_role("button", name="Create an account", exact=True).click()
    page.get_by_label("E-mail").fill(journey.email)
    page.get_by_label("Display name").fill("Journey")
    page.get_by_label("Password").fill(PASSWORD)
    journey.screenshots.take(page, "1-sign-up")
    page.get_by_role("button", name="Create account", exact=True).click()

    kill_switch = page.get_by_test_id("kill-switch")
    expect(kill_switch).to_have_attribute("data-engaged", "false")
    expect(kill_switch.get_by_role("button", name="Stop all trading")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_label("Message the copilot")).to_be_editable()
    journey.api = log_in(journey.client, journey.email)
    journey.screenshots.take(page, "2-signed-in")


def test_chatting_an_order_shows_its_proposal_card(journey: Journey) -> None:
    from playwright.sync_api import expect

    page, trader = journey.page, journey.trader
    wait_for_live_trades(str(journey.client.base_url).rstrip("/"))
    chat(page, "buy 0.01 BTC")
    card = page.get_by_test_id("chat-log").get_by_test_id("proposal-card").first
    expect(card).to_have_attribute("data-status", "pending")
    intent_id = card.get_attribute("data-intent-id")
    intent = trader.get(f"/api/intents/{intent_id}").json()
    assert (intent["status"], intent["side"], intent["symbol"]) == ("pending", "buy", "BTC/USDT"), intent
    assert Decimal(intent["quantity"]) == Decimal("0.01")
    for shown in (re.compile("buy", re.IGNORECASE), "0.01", "BTC/USDT", re.compile("market", re.IGNORECASE)):
        expect(card).to_contain_text(shown)
    expect(card.get_by_test_id("venue-tag")).to_have_text(re.compile(r"^\s*paper\s*$", re.IGNORECASE))
    # The same proposal waits in the "Pending approvals" panel too.
    expect(page.get_by_text("Pending approvals").first).to_be_visible()
    expect(page.locator(proposal_cards(str(intent_id)))).to_have_count(2)
    journey.intent = intent
    journey.screenshots.take(page, "3-proposal")


def test_approving_shows_the_fill_in_the_orders_and_on_the_chart(journey: Journey) -> None:
    from playwright.sync_api import expect

    page, intent = journey.page, journey.intent
    assert intent, "the proposal step did not finish"
    card = chat_card(page, intent["intent_id"])
    card.get_by_role("button", name="Approve", exact=True).click()
    expect(card).to_have_attribute("data-status", "approved", timeout=FILL_TIMEOUT_MS)

    rows = page.get_by_test_id("orders").get_by_test_id("order-row")
    expect(rows).to_have_count(1, timeout=FILL_TIMEOUT_MS)
    expect(rows.first).to_have_attribute("data-status", "filled", timeout=FILL_TIMEOUT_MS)  # as the API says
    expect(rows.first).to_have_attribute("data-symbol", "BTC/USDT")
    [order] = journey.trader.get("/api/orders").json()["data"]
    assert (order["intent_id"], order["status"]) == (intent["intent_id"], "filled"), order
    assert Decimal(order["filled_qty"]) == Decimal("0.01")
    chart = page.get_by_test_id("price-chart")
    expect(chart).to_have_attribute("data-marker-count", re.compile(r"^[1-9]\d*$"), timeout=FILL_TIMEOUT_MS)
    journey.orders = 1
    journey.screenshots.take(page, "4-filled")


def test_after_the_kill_switch_the_next_chat_order_is_refused(journey: Journey) -> None:
    from playwright.sync_api import expect

    page = journey.page
    assert journey.orders == 1, "the approval step did not finish"
    kill_switch = page.get_by_test_id("kill-switch")
    kill_switch.get_by_role("button", name="Stop all trading").click()
    page.get_by_role("dialog").get_by_role("button", name="Stop everything").click()
    expect(kill_switch).to_have_attribute("data-engaged", "true")
    expect(kill_switch.get_by_role("button", name="Resume trading")).to_be_visible()
    assert journey.trader.get("/api/kill-switch").json()["stopped"] is True
    journey.screenshots.take(page, "5-stopped")

    chat(page, "buy 0.01 BTC")
    refused = page.get_by_test_id("chat-log").locator(
        f'[data-testid="proposal-card"]:not([data-intent-id="{journey.intent["intent_id"]}"])'
    )
    expect(refused).to_have_attribute("data-status", "killed")
    intent = newest_intent(journey.trader, after=journey.intent["intent_id"])
    assert (refused.get_attribute("data-intent-id"), intent["status"]) == (intent["intent_id"], "killed")
    expect(page.get_by_test_id("orders").get_by_test_id("order-row")).to_have_count(1)
    assert len(journey.trader.get("/api/orders").json()["data"]) == 1
    journey.screenshots.take(page, "6-refused")
