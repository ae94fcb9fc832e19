"""OpenTelemetry: a tracer provider per process, and trace context carried in NATS headers."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def create_tracer_provider(service: str, exporter: str = "none", endpoint: str = "") -> TracerProvider:
    """Return a provider for ``service``; spans go nowhere, to stderr, or to an OTLP endpoint."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"cryptopulse.{service}"}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter(endpoint=endpoint)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    return provider


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``headers`` with the current span's W3C trace context added (``traceparent``)."""
    carrier = dict(headers or {})
    if trace.get_current_span().get_span_context().is_valid:  # nothing to carry outside a span
        propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> trace.Context:  # type: ignore[name-defined]
    """Return the trace context a publisher put in NATS message headers."""
    return propagate.extract(dict(headers or {}))
