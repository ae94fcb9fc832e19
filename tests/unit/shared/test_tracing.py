"""Trace context crosses NATS hops in message headers."""

from opentelemetry import trace

from shared.telemetry.tracing import create_tracer_provider, extract_context, inject_headers


def test_headers_carry_the_current_span_and_extract_back_to_it() -> None:
    tracer = create_tracer_provider("test").get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        headers = inject_headers({"Nats-Msg-Id": "m1"})
    assert headers["Nats-Msg-Id"] == "m1"
    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    remote = trace.get_current_span(extract_context(headers)).get_span_context()
    assert remote.trace_id == span.get_span_context().trace_id and remote.is_remote


def test_outside_a_span_no_trace_header_is_added() -> None:
    assert inject_headers({"Nats-Msg-Id": "m1"}) == {"Nats-Msg-Id": "m1"}


def test_every_configured_exporter_builds_a_provider() -> None:
    for exporter in ("none", "console", "otlp"):
        provider = create_tracer_provider("test", exporter, "http://127.0.0.1:4318/v1/traces")
        assert provider.resource.attributes["service.name"] == "cryptopulse.test"
        provider.shutdown()
