"""One trace from a chat message to the fill, across every service of a real stack.

The stack runs with the file exporter (each service appends its spans to its own JSON-lines
file); the trader chats "buy 0.01 BTC", approves the proposal over REST and sees the fill. The
spans of that trace then come from the gateway, the agent, the risk gate and the executor
(with its call to the venue), every parent is in the trace, and the intent's correlation id is
on every span of the trade and in the executor's log lines, with the trace id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.telemetry.tracing import CORRELATION_ID
from tests.e2e.conftest import REAL_TIME, RunningStack, start_stack, stop_stack
from tests.support.journey import approve_and_watch, chat_until_decided, sign_up, wait_for_live_trades

pytestmark = pytest.mark.e2e
SERVICES = {"cryptopulse.api_gateway", "cryptopulse.agent", "cryptopulse.risk_gate", "cryptopulse.executor"}
Span = dict[str, Any]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    tmp = tmp_path_factory.mktemp("traced")
    traced = {
        "CRYPTOPULSE_OTEL_EXPORTER": "file",
        "CRYPTOPULSE_OTEL_FILE": str(tmp / "traces" / "{service}.jsonl"),
    }
    running = start_stack(tmp, {**REAL_TIME, **traced})
    try:
        yield running
    finally:
        stop_stack(running)


def all_spans(stack: RunningStack) -> list[Span]:
    directory = Path(stack.env["CRYPTOPULSE_OTEL_FILE"]).parent
    return [
        json.loads(line)
        for path in directory.glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line
    ]


def trade_trace(stack: RunningStack, intent_id: str, timeout_s: float = 30) -> tuple[list[Span], list[Span]]:
    """The spans of the trace in which the venue filled ``intent_id``'s order (and every span),
    once they were all exported (the exporter batches for up to five seconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        spans = all_spans(stack)
        venue_calls = [
            s
            for s in spans
            if s["name"] == "venue create_order" and s["attributes"].get(CORRELATION_ID) == intent_id
        ]
        if venue_calls:
            trace = [s for s in spans if s["trace_id"] == venue_calls[0]["trace_id"]]
            fill_seen = any(
                s["name"] == "process exec.evt" and s["service"] == "cryptopulse.api_gateway" for s in trace
            )
            if {s["service"] for s in trace} >= SERVICES and fill_seen:
                return trace, spans
        if time.monotonic() > deadline:
            names = sorted({(s["service"], s["name"]) for s in spans})
            raise AssertionError(f"no complete trace for {intent_id} within {timeout_s}s; spans: {names}")
        time.sleep(0.5)


def test_one_trace_runs_from_the_chat_message_to_the_fill(stack: RunningStack) -> None:
    with httpx.Client(base_url=stack.gateway, timeout=15) as client:
        trader = sign_up(client)
        wait_for_live_trades(stack.gateway)
        decision = asyncio.run(chat_until_decided(stack.gateway, trader, "buy 0.01 BTC"))
        assert decision["outcome"] == "pending", (decision["check"], decision["reason"])
        intent = trader.get(f"/api/intents/{decision['intent_id']}").json()
        events = asyncio.run(approve_and_watch(stack.gateway, trader, intent))
    assert events[-1]["type"] == "order.filled", events
    correlation_id = decision["intent_id"]  # the intent's id is the correlation id, chat to fill

    trace, spans = trade_trace(stack, decision["intent_id"])

    # It starts at the chat message, in the gateway, and every parent is in it.
    [root] = [s for s in trace if s["parent_span_id"] is None]
    assert (root["name"], root["service"], root["kind"]) == (
        "chat message",
        "cryptopulse.api_gateway",
        "SERVER",
    )
    assert "cryptopulse.user_hash" in root["attributes"] and "email" not in json.dumps(root)
    span_ids = {s["span_id"] for s in trace}
    assert all(s["parent_span_id"] in span_ids for s in trace if s is not root)
    # Each hop is a producer and a consumer span, from the agent's intent to the executor's fill.
    hops = {(s["service"], s["kind"], s["name"]) for s in trace}
    for hop in [
        ("cryptopulse.agent", "CONSUMER", "process chat.request"),
        ("cryptopulse.agent", "PRODUCER", "publish intent"),
        ("cryptopulse.risk_gate", "CONSUMER", "process intent"),
        ("cryptopulse.risk_gate", "PRODUCER", "publish risk.decision"),
        ("cryptopulse.api_gateway", "INTERNAL", "answer proposal"),
        ("cryptopulse.risk_gate", "CONSUMER", "process risk.approval"),
        ("cryptopulse.risk_gate", "PRODUCER", "publish exec.cmd"),
        ("cryptopulse.executor", "CONSUMER", "process exec.cmd"),
        ("cryptopulse.executor", "CLIENT", "venue create_order"),
        ("cryptopulse.executor", "PRODUCER", "publish exec.evt"),
    ]:
        assert hop in hops, (hop, sorted(hops))
    # The correlation id is on every span of the trade (all but the chat's own messages).
    trade = [s for s in trace if s is not root and not s["name"].split(" ")[-1].startswith("chat.")]
    missing = [
        (s["service"], s["name"]) for s in trade if s["attributes"].get(CORRELATION_ID) != correlation_id
    ]
    assert not missing, missing
    # The approval links the REST request it came in, a server span of the gateway's own trace.
    [answer] = [s for s in trace if s["name"] == "answer proposal"]
    [link] = answer["links"]
    [request] = [s for s in spans if s["span_id"] == link["span_id"]]
    assert request["service"] == "cryptopulse.api_gateway" and request["kind"] == "SERVER"
    assert request["trace_id"] != root["trace_id"]
    assert request["name"] == "POST /api/intents/{intent_id}/approve"  # the route, not the id
    # The executor's log lines of the trade lead to the trace.
    logs = (Path(stack.env["CRYPTOPULSE_DATA_DIR"]) / "logs" / "executor.log").read_text().splitlines()
    lines = [json.loads(line) for line in logs if correlation_id in line]
    assert lines and all(line["trace_id"] == root["trace_id"] for line in lines), lines
