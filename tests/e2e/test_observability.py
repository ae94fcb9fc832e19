"""Operators' view of a running stack: a real Prometheus (Debian's package) scrapes ``cryptopulse
up`` with the jobs and alert rules of deploy/prometheus through a short scripted trading session;
then every dashboard panel query and every alert expression must parse and return data.

The session: a trader signs up and greets the copilot (the first model provider refuses the
connection, the second, a scripted OpenAI-compatible server, answers: a fallback), chats "buy 0.01
BTC" (the scripted model has nothing left to say, so the offline parser proposes it), approves it
and sees it filled, repeats it (denied as a duplicate), rejects a second proposal, sets a standing
rule, engages the kill switch, sees an order refused, and releases the switch.

Alert expressions compare against a threshold (``errors > 5``), so most return nothing while all
is well, and "returns no data" would not tell a healthy alert from one on a misspelt metric. Each
is evaluated as written (it must parse), and again with its comparisons made ``bool`` comparisons
(``errors > bool 5``: every series, 1 where the alert would fire and 0 elsewhere), which must
return data. That keeps the whole expression under test (both sides, the operator, the matching
of labels across the comparison) where testing only its left side would not; the rewrite is
PromQL-aware (it skips label matchers, durations and strings), see
``tests.support.observability.with_bool_comparisons``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import yaml
from websockets.sync.client import ClientConnection, connect

from cryptopulse.servers.ports import free_port
from tests.e2e.conftest import REAL_TIME, RunningStack, start_stack, stop_stack
from tests.support.journey import Trader, sign_up, wait_for_live_trades
from tests.support.observability import (
    ALERT_RULES,
    PROMETHEUS_CONFIG,
    PanelQuery,
    alert_rules,
    load_dashboards,
    panel_queries,
    with_bool_comparisons,
)
from tests.support.openai_server import Reply, scripted_openai
from tests.support.prometheus import PrometheusServer

pytestmark = pytest.mark.e2e
EVENT_TIMEOUT_S = 60
PORT_SETTINGS = {
    "paper_exchange": "CRYPTOPULSE_PAPER_PORT",
    "market_feed": "CRYPTOPULSE_FEED_PORT",
    "agent": "CRYPTOPULSE_AGENT_PORT",
    "risk_gate": "CRYPTOPULSE_RISK_GATE_PORT",
    "executor": "CRYPTOPULSE_EXECUTOR_PORT",
    "api_gateway": "CRYPTOPULSE_GATEWAY_PORT",
}
QUERIES = [q for name, board in load_dashboards().items() for q in panel_queries(name, board)]
ALERTS = alert_rules()


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    """A scripted model with one answer (the greeting); later chats find it with nothing to say."""
    with scripted_openai([Reply(content="Hello! I watch BTC/USDT and ETH/USDT for you.")]) as (_, url):
        yield url


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_url: str) -> Iterator[RunningStack]:
    providers = [
        {"name": "primary", "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "m", "api_key": "k"},
        {"name": "backup", "base_url": model_url, "model": "scripted-model", "api_key": "k"},
    ]
    env = REAL_TIME | {"CRYPTOPULSE_AGENT_LLM_PROVIDERS": json.dumps(providers)}
    running = start_stack(tmp_path_factory.mktemp("stack"), env)
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, stack: RunningStack) -> Iterator[PrometheusServer]:
    """deploy/prometheus's jobs and rules, pointed at this stack's ports, scraping every second."""
    folder = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(ALERT_RULES)]
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{stack.env[PORT_SETTINGS[job['job_name']]]}"]}]
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    with PrometheusServer(folder / "prometheus.yml", folder) as server:
        yield server


def _send_chat(socket: ClientConnection, text: str) -> str:
    """Send ``text`` to the copilot; return the request id its replies carry."""
    socket.send(json.dumps({"action": "chat", "text": text, "client_message_id": uuid4().hex}))
    return str(_next(socket, _is("chat.accepted"))["request_id"])


def _next(socket: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while True:
        event: dict[str, Any] = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if wanted(event):
            return event
        assert event["type"] != "error", event


def _is(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["type"] == kind


def _final_reply(request_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["type"] == "chat.replied" and e["request_id"] == request_id and bool(e["final"])


def _decided(socket: ClientConnection, text: str) -> dict[str, Any]:
    _send_chat(socket, text)
    return _next(socket, _is("risk.decision"))


def _answer(trader: Trader, decision: dict[str, Any], answer: str) -> None:
    body = {"digest": decision["digest"], "reason": f"observability session: {answer}"}
    response = trader.post(f"/api/intents/{decision['intent_id']}/{answer}", body)
    assert response.status_code == 202, response.text


def _trade(stack: RunningStack, trader: Trader) -> None:
    """The scripted session (module docstring); each step waits for what it caused."""
    wait_for_live_trades(stack.gateway)
    with connect(stack.gateway.replace("http", "ws") + "/api/ws") as socket:
        socket.send(json.dumps({"action": "auth", "token": trader.access_token}))
        _next(socket, _is("authenticated"))
        greeting = _send_chat(socket, "hello")
        assert "watch BTC/USDT" in _next(socket, _final_reply(greeting))["text"]

        proposal = _decided(socket, "buy 0.01 BTC")
        assert proposal["outcome"] == "pending", (proposal["check"], proposal["reason"])
        _answer(trader, proposal, "approve")
        assert _next(socket, _is("risk.decision"))["outcome"] == "approved"
        _next(socket, _is("order.filled"))

        repeat = _decided(socket, "buy 0.01 BTC")
        assert (repeat["outcome"], repeat["check"]) == ("denied", "duplicate_intent"), repeat["reason"]

        second = _decided(socket, "buy 0.005 BTC")
        assert second["outcome"] == "pending", (second["check"], second["reason"])
        _answer(trader, second, "reject")
        assert _next(socket, _is("risk.decision"))["outcome"] == "rejected"

        rule = _send_chat(socket, "buy 0.01 BTC if it dips below $1000")
        reply = _next(socket, _final_reply(rule))["text"]
        assert trader.get("/api/rules").json()["data"], reply

        engaged = trader.post("/api/kill-switch", {"engaged": True, "reason": "observability session"})
        assert engaged.status_code == 200, engaged.text
        assert _decided(socket, "buy 0.02 BTC")["outcome"] == "killed"
        released = trader.post("/api/kill-switch", {"engaged": False, "reason": "session over"})
        assert released.status_code == 200, released.text


@pytest.fixture(scope="module")
def scraped(stack: RunningStack, prometheus: PrometheusServer) -> PrometheusServer:
    """Prometheus once it has scraped every service through the session, and a few times since."""
    with httpx.Client(base_url=stack.gateway, timeout=15) as client:
        _trade(stack, sign_up(client))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        up = prometheus.query("sum(up)")["data"]["result"]
        if up and float(up[0]["value"][1]) == len(PORT_SETTINGS):
            break
        time.sleep(1)
    time.sleep(5)  # a few more scrapes after the last event, and rule evaluations on them
    return prometheus


def test_prometheus_scrapes_every_service_of_the_stack(scraped: PrometheusServer) -> None:
    targets = scraped.api("targets")["data"]["activeTargets"]
    assert {t["labels"]["job"]: t["health"] for t in targets} == dict.fromkeys(PORT_SETTINGS, "up")


def test_every_alert_rule_evaluates_without_error(scraped: PrometheusServer) -> None:
    rules = [rule for group in scraped.api("rules")["data"]["groups"] for rule in group["rules"]]
    assert {rule["name"] for rule in rules} == {rule["alert"] for rule in ALERTS}
    assert all(rule["health"] == "ok" for rule in rules), [(r["name"], r.get("lastError")) for r in rules]


@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_every_dashboard_panel_query_returns_data(scraped: PrometheusServer, query: PanelQuery) -> None:
    answer = scraped.query(query.expr)
    assert answer["status"] == "success", (query.expr, answer)
    assert answer["data"]["result"], f"no data for {query.expr}"


@pytest.mark.parametrize("rule", ALERTS, ids=lambda rule: str(rule["alert"]))
def test_every_alert_expression_parses_and_returns_data(
    scraped: PrometheusServer, rule: dict[str, Any]
) -> None:
    as_written = scraped.query(rule["expr"])
    assert as_written["status"] == "success", (rule["expr"], as_written)
    evaluated = scraped.query(with_bool_comparisons(rule["expr"]))
    assert evaluated["status"] == "success", evaluated
    assert evaluated["data"]["result"], f"no data for {with_bool_comparisons(rule['expr'])}"
