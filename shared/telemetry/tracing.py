"""OpenTelemetry: a tracer provider per process, and trace context carried in NATS headers.

A service installs its provider at start (``install_tracing``) and shuts it down at stop, which
flushes what is batched. With the exporter ``none`` nothing is installed: the API's no-op
tracer stays in place and ``consuming``/``producing`` skip their spans, so tracing off costs a
dictionary look-up per message.

One trace runs from a chat message to the fill: every publish injects the current context
(``producing``: a PRODUCER span), every consumer extracts it and runs its handler in a CONSUMER
span (``consuming``), so what a handler publishes continues the trace of what caused it. The
correlation id (the intent's) is an attribute of every such span and is set for the log records
written meanwhile.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind

from shared.telemetry.logging import correlation_id_var
from shared.telemetry.span_file import JsonLinesSpanExporter

TRACER_NAME = "cryptopulse"
CORRELATION_ID = "cryptopulse.correlation_id"
"""The span attribute holding the intent's id, the one correlation id from chat to fill."""
CORRELATION_HEADER = "Correlation-Id"
MSG_ID_HEADER = "Nats-Msg-Id"
TRACEPARENT = "traceparent"
EXPORTERS = ("none", "console", "otlp", "file")
_NOTHING: AbstractContextManager[None] = nullcontext()
"""What a message outside any trace runs in (reusable: it holds no state)."""


def create_tracer_provider(
    service: str, exporter: str = "none", endpoint: str = "", file_path: str = ""
) -> TracerProvider:
    """Return a provider for ``service``; spans go nowhere, to stderr, to an OTLP endpoint, or
    as JSON lines to ``file_path`` (``{service}`` in it is replaced by the service's name)."""
    if exporter not in EXPORTERS:
        raise ValueError(f"unknown OpenTelemetry exporter {exporter!r}; expected one of {EXPORTERS}")
    provider = TracerProvider(resource=Resource.create({"service.name": f"cryptopulse.{service}"}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter(endpoint=endpoint)
    elif exporter == "file":
        if not file_path:
            raise ValueError("the file exporter needs a path (CRYPTOPULSE_OTEL_FILE)")
        span_exporter = JsonLinesSpanExporter(Path(file_path.replace("{service}", service)))
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    return provider


def install_tracing(
    service: str, exporter: str, endpoint: str = "", file_path: str = ""
) -> TracerProvider | None:
    """Make this process's spans go to ``exporter``; ``None`` (nothing installed) for ``none``.

    OpenTelemetry has one global provider per process and refuses to replace it: a second
    service runtime in the same process (tests) keeps the first one's.
    """
    if exporter == "none":
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return None  # already installed by this process; not ours to shut down
    provider = create_tracer_provider(service, exporter, endpoint, file_path)
    trace.set_tracer_provider(provider)
    return provider


def tracing_enabled() -> bool:
    """Whether a real provider is installed (else every span would be a no-op)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``headers`` with the current span's W3C trace context added (``traceparent``)."""
    carrier = dict(headers or {})
    if trace.get_current_span().get_span_context().is_valid:  # nothing to carry outside a span
        propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> trace.Context:  # type: ignore[name-defined]
    """Return the trace context a publisher put in NATS message headers."""
    return propagate.extract(dict(headers or {}))


def subject_family(subject: str) -> str:
    """``exec.cmd.paper`` → ``exec.cmd``, ``intent.<user>`` → ``intent``: span names stay few
    whatever the users or symbols (the last token of a subject names one of them)."""
    tokens = subject.split(".")
    return ".".join(tokens[: min(2, max(1, len(tokens) - 1))])


def hashed(value: str) -> str:
    """A stable pseudonym for an identifier that must not leave as is (a user id in a trace)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _messaging_attributes(subject: str, message_id: str | None, correlation_id: str | None) -> dict[str, str]:
    attributes = {"messaging.system": "nats", "messaging.destination.name": subject}
    if message_id:
        attributes["messaging.message.id"] = message_id
    if correlation_id:
        attributes[CORRELATION_ID] = correlation_id
    return attributes


def consuming(subject: str, headers: Mapping[str, str] | None) -> AbstractContextManager[trace.Span | None]:
    """Run a handler of the message on ``subject`` in a CONSUMER span continuing its publisher's
    trace, with its correlation id in the logs. Messages that carry neither a trace context nor
    a correlation id (market data) get no span: they start no trade, and cost one look-up."""
    headers = headers or {}
    correlation_id = headers.get(CORRELATION_HEADER)
    if correlation_id is None and (TRACEPARENT not in headers or not tracing_enabled()):
        return _NOTHING
    return _consuming(subject, headers, correlation_id)


@contextmanager
def _consuming(
    subject: str, headers: Mapping[str, str], correlation_id: str | None
) -> Iterator[trace.Span | None]:
    token = correlation_id_var.set(correlation_id) if correlation_id else None
    try:
        if not tracing_enabled():
            yield None
            return
        with tracer().start_as_current_span(
            f"process {subject_family(subject)}",
            context=extract_context(headers),
            kind=SpanKind.CONSUMER,
            attributes={
                **_messaging_attributes(subject, headers.get(MSG_ID_HEADER), correlation_id),
                "messaging.operation.type": "process",
            },
        ) as span:
            yield span
    finally:
        if token is not None:
            correlation_id_var.reset(token)


def producing(
    subject: str, message_id: str, correlation_id: str | None
) -> AbstractContextManager[trace.Span | None]:
    """Publish inside a PRODUCER span (a child of the current one) so the headers injected
    meanwhile carry it. A publish outside any trace and without a correlation id (market data)
    gets no span; one with a correlation id starts a trace (a rule firing on a tick)."""
    if correlation_id is None and not trace.get_current_span().get_span_context().is_valid:
        return _NOTHING
    if not tracing_enabled():
        return _NOTHING
    return _producing(subject, message_id, correlation_id)


@contextmanager
def _producing(subject: str, message_id: str, correlation_id: str | None) -> Iterator[trace.Span | None]:
    with tracer().start_as_current_span(
        f"publish {subject_family(subject)}",
        kind=SpanKind.PRODUCER,
        attributes={
            **_messaging_attributes(subject, message_id, correlation_id),
            "messaging.operation.type": "publish",
        },
    ) as span:
        yield span


@contextmanager
def new_trace(name: str, attributes: Mapping[str, str]) -> Iterator[trace.Span | None]:
    """A SERVER span that starts a trace of its own (a chat message arriving over a long-lived
    WebSocket belongs to no request's trace)."""
    if not tracing_enabled():
        yield None
        return
    with tracer().start_as_current_span(
        name, context=Context(), kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


@contextmanager
def continuing(
    parent: SpanContext | None, name: str, attributes: Mapping[str, str]
) -> Iterator[trace.Span | None]:
    """An INTERNAL span that continues ``parent``'s trace (where the work began, e.g. a chat
    message) and links the current span (the request that resumed it); without ``parent`` a
    child of the current span."""
    if not tracing_enabled():
        yield None
        return
    current = trace.get_current_span().get_span_context()
    if parent is None:
        context, links = None, []
    else:
        context = trace.set_span_in_context(NonRecordingSpan(parent))
        links = [Link(current)] if current.is_valid else []
    with tracer().start_as_current_span(name, context=context, links=links, attributes=attributes) as span:
        yield span


def mark_correlation(correlation_id: str | None) -> None:
    """Name the correlation id on the current span once it is known (a chat message's span,
    when the agent turns it into an intent)."""
    span = trace.get_current_span()
    if correlation_id and span.is_recording():
        span.set_attribute(CORRELATION_ID, correlation_id)


def record_failure(error: BaseException) -> None:
    """Mark the current span failed with ``error`` (for code that handles the error itself)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))


@contextmanager
def client_call(name: str, attributes: Mapping[str, str]) -> Iterator[trace.Span | None]:
    """A CLIENT span around a call to another system (the venue through ccxt)."""
    if not tracing_enabled():
        yield None
        return
    correlation_id = correlation_id_var.get()
    extra = {CORRELATION_ID: correlation_id} if correlation_id else {}
    with tracer().start_as_current_span(
        name, kind=SpanKind.CLIENT, attributes={**attributes, **extra}
    ) as span:
        yield span


__all__ = [
    "CORRELATION_HEADER",
    "CORRELATION_ID",
    "client_call",
    "consuming",
    "continuing",
    "create_tracer_provider",
    "extract_context",
    "hashed",
    "inject_headers",
    "install_tracing",
    "mark_correlation",
    "new_trace",
    "producing",
    "record_failure",
    "tracer",
    "tracing_enabled",
]
