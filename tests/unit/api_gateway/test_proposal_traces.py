"""The gateway remembers which trace each pending proposal belongs to, within a bound."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.api_gateway.proposal_traces import ProposalTraces
from shared.telemetry.tracing import tracer
from tests.support.tracing import SpanFile, installed_tracing


@pytest.fixture
def spans(tmp_path: Path) -> Iterator[SpanFile]:
    with installed_tracing(tmp_path) as span_file:
        yield span_file


def test_the_span_delivering_a_pending_decision_is_remembered_for_its_intent(spans: SpanFile) -> None:
    traces = ProposalTraces()
    with tracer().start_as_current_span("process risk.decision") as span:
        traces.remember_current("intent-1")
    assert traces.context_of("intent-1") == span.get_span_context()
    assert traces.context_of("intent-1") is not None  # kept after an answer: it may be sent again
    assert traces.context_of("intent-2") is None


def test_outside_a_trace_nothing_is_remembered() -> None:
    traces = ProposalTraces()
    traces.remember_current("intent-1")
    assert len(traces) == 0 and traces.context_of("intent-1") is None


def test_the_oldest_proposals_make_room_for_new_ones(spans: SpanFile) -> None:
    traces = ProposalTraces(capacity=2)
    for intent in ("a", "b", "c"):
        with tracer().start_as_current_span(intent):
            traces.remember_current(intent)
    assert len(traces) == 2
    assert traces.context_of("a") is None and traces.context_of("c") is not None
