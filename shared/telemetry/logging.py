"""JSON log lines on stderr, with secrets redacted, the correlation id and the current trace and
span ids in every record (so a log line leads to its trace)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

_SECRET_KEYS = re.compile(r"(secret|password|passwd|token|api[_-]?key|signature|authorization)", re.I)
_SECRET_PAIRS = re.compile(
    r"(?P<key>(?:secret|password|passwd|token|api[_-]?key|signature|authorization)[\w-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,}]+)",
    re.I,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<password>[^@\s]+)(?P<at>@)", re.I)
_BEARER = re.compile(r"(?P<scheme>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+", re.I)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
"""A JWT anywhere in a message (its header always starts ``{"`` and so encodes to ``eyJ``)."""
REDACTED = "[REDACTED]"

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def redact(text: str) -> str:
    """Return ``text`` with ``key=value`` secrets, URL passwords, bearer credentials and JWTs
    replaced by ``[REDACTED]``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{REDACTED}{m['at']}", text)
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m['scheme']}{REDACTED}", text)
    return _SECRET_PAIRS.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", text)


def is_secret_key(key: str) -> bool:
    """Whether a field named ``key`` holds a secret (its value is never shown)."""
    return _SECRET_KEYS.search(key) is not None


def redact_value(key: str, value: Any) -> Any:
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, service, message, correlation id, extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        correlation_id = correlation_id_var.get()
        if correlation_id is not None:
            entry["correlation_id"] = correlation_id
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = trace.format_trace_id(span_context.trace_id)
            entry["span_id"] = trace.format_span_id(span_context.span_id)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = redact_value(key, value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record of this process to stderr as JSON; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
