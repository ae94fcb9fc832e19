"""Trace context crosses NATS hops in message headers; spans go to the configured exporter."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace

from shared.telemetry.http_tracing import span_name
from shared.telemetry.logging import JsonFormatter, correlation_id_var
from shared.telemetry.tracing import (
    CORRELATION_ID,
    consuming,
    continuing,
    create_tracer_provider,
    extract_context,
    inject_headers,
    install_tracing,
    producing,
    subject_family,
    tracer,
    tracing_enabled,
)
from tests.support.tracing import SpanFile, by_name, installed_tracing


@pytest.fixture
def spans(tmp_path: Path) -> Iterator[SpanFile]:
    with installed_tracing(tmp_path) as span_file:
        yield span_file


def test_headers_carry_the_current_span_and_extract_back_to_it() -> None:
    tracer_of_test = create_tracer_provider("test").get_tracer("test")
    with tracer_of_test.start_as_current_span("publish") as span:
        headers = inject_headers({"Nats-Msg-Id": "m1"})
    assert headers["Nats-Msg-Id"] == "m1"
    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    remote = trace.get_current_span(extract_context(headers)).get_span_context()
    assert remote.trace_id == span.get_span_context().trace_id and remote.is_remote


def test_outside_a_span_no_trace_header_is_added() -> None:
    assert inject_headers({"Nats-Msg-Id": "m1"}) == {"Nats-Msg-Id": "m1"}


def test_every_configured_exporter_builds_a_provider(tmp_path: Path) -> None:
    for exporter in ("none", "console", "otlp", "file"):
        provider = create_tracer_provider(
            "test", exporter, "http://127.0.0.1:4318/v1/traces", str(tmp_path / "{service}.jsonl")
        )
        assert provider.resource.attributes["service.name"] == "cryptopulse.test"
        provider.shutdown()


def test_an_unknown_exporter_or_a_file_exporter_without_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown OpenTelemetry exporter 'jaeger'"):
        create_tracer_provider("test", "jaeger")
    with pytest.raises(ValueError, match="CRYPTOPULSE_OTEL_FILE"):
        create_tracer_provider("test", "file")


def test_with_the_exporter_none_nothing_is_installed_and_no_span_is_made() -> None:
    assert install_tracing("test", "none") is None
    assert not tracing_enabled()
    with consuming(
        "exec.cmd.paper",
        {"Correlation-Id": "intent-1", "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
    ) as consumer:
        assert consumer is None
        assert correlation_id_var.get() == "intent-1"  # logs still name the intent
    with producing("intent.u1", "m1", "intent-1") as producer:
        assert producer is None


def test_the_file_exporter_writes_one_json_line_per_span_with_its_parent(spans: SpanFile) -> None:
    with tracer().start_as_current_span("outer") as outer, tracer().start_as_current_span("inner"):
        pass
    records = spans.read()
    assert spans.path.name == "test.jsonl"
    assert [r["name"] for r in records] == ["inner", "outer"]
    inner, parent = records
    outer_id = format(outer.get_span_context().span_id, "016x")
    assert parent["span_id"] == outer_id and parent["parent_span_id"] is None
    assert inner["parent_span_id"] == outer_id and inner["trace_id"] == parent["trace_id"]
    assert inner["service"] == "cryptopulse.test" and inner["kind"] == "INTERNAL"


def test_a_consumer_span_continues_the_publishers_trace_with_messaging_attributes(spans: SpanFile) -> None:
    with producing("intent.u1", "m1", "intent-1"):
        headers = inject_headers({"Nats-Msg-Id": "m1", "Correlation-Id": "intent-1"})
    with consuming("intent.u1", headers):
        assert correlation_id_var.get() == "intent-1"
    assert correlation_id_var.get() is None
    [producer] = by_name(spans.read(), "publish intent")
    [consumer] = by_name(spans.read(), "process intent")
    assert producer["kind"] == "PRODUCER" and consumer["kind"] == "CONSUMER"
    assert consumer["trace_id"] == producer["trace_id"]
    assert consumer["parent_span_id"] == producer["span_id"]
    assert consumer["attributes"] == {
        "messaging.system": "nats",
        "messaging.destination.name": "intent.u1",
        "messaging.message.id": "m1",
        "messaging.operation.type": "process",
        CORRELATION_ID: "intent-1",
    }


def test_span_names_keep_the_subjects_family_not_its_user_or_symbol() -> None:
    assert subject_family("intent.0b7c") == "intent"
    assert subject_family("exec.cmd.paper") == "exec.cmd"
    assert subject_family("md.trade.paper.BTCUSDT") == "md.trade"
    assert subject_family("sys.kill") == "sys"


def test_market_data_outside_any_trace_gets_no_span(spans: SpanFile) -> None:
    with producing("md.trade.paper.BTCUSDT", "t1", None) as producer:
        assert producer is None
    with consuming("md.trade.paper.BTCUSDT", {"Nats-Msg-Id": "t1"}) as consumer:
        assert consumer is None
    assert spans.read() == []


def test_a_resumed_piece_of_work_continues_the_earlier_trace_and_links_the_request(spans: SpanFile) -> None:
    with tracer().start_as_current_span("chat message") as chat:
        pass
    with tracer().start_as_current_span("POST approve") as request:
        with continuing(chat.get_span_context(), "answer proposal", {CORRELATION_ID: "intent-1"}):
            pass
        with continuing(None, "answer unknown proposal", {}):
            pass
    records = spans.read()
    [answer] = by_name(records, "answer proposal")
    assert answer["trace_id"] == format(chat.get_span_context().trace_id, "032x")
    assert answer["parent_span_id"] == format(chat.get_span_context().span_id, "016x")
    assert answer["links"] == [
        {
            "trace_id": format(request.get_span_context().trace_id, "032x"),
            "span_id": format(request.get_span_context().span_id, "016x"),
        }
    ]
    [unknown] = by_name(records, "answer unknown proposal")
    assert unknown["parent_span_id"] == format(request.get_span_context().span_id, "016x")


def test_log_lines_written_in_a_span_carry_its_trace_and_span_ids(spans: SpanFile) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert "trace_id" not in json.loads(JsonFormatter("test").format(record))
    with tracer().start_as_current_span("work") as span:
        entry = json.loads(JsonFormatter("test").format(record))
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert entry["span_id"] == format(span.get_span_context().span_id, "016x")


def test_http_span_names_replace_ids_in_paths() -> None:
    intent = "4564bb53-2e5c-56fc-aff8-e16341a0700f"
    assert (
        span_name({"method": "POST", "path": f"/api/intents/{intent}/approve"})
        == "POST /api/intents/{id}/approve"
    )
    assert span_name({"method": "GET", "path": "/api/orders"}) == "GET /api/orders"
    assert span_name({"method": "GET", "path": "/api/candles/BTCUSDT/1m"}) == "GET /api/candles/BTCUSDT/1m"
