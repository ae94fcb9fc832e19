"""Sentry for the Python services, only when a DSN is configured; secrets never leave.

Every event passes ``scrub_event`` (the log redaction over every string and every secret-named
key) before it is sent; local variables of stack frames are not collected at all (a variable
holding a key need not be named like one), default PII is off, and traces are off unless a
sample rate is set. Without a DSN the SDK is not even imported.
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from shared.config.settings import CommonSettings
from shared.telemetry.logging import REDACTED, is_secret_key, redact

_log = logging.getLogger(__name__)


def release() -> str:
    """``cryptopulse@<package version>``: which build an error came from."""
    try:
        return f"cryptopulse@{version('cryptopulse')}"
    except PackageNotFoundError:
        return "cryptopulse@unknown"


def scrub(value: Any, key: str = "") -> Any:
    """Return ``value`` with secrets redacted at every depth: whatever sits under a secret-named
    key, and secret-looking text in every string (``api_key=…``, bearer tokens, JWTs, URL passwords)."""
    if key and is_secret_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def scrub_event(event: Any, _hint: Any = None) -> Any:
    """Sentry's ``before_send``: the event with every secret redacted."""
    return scrub(event)


def scrub_breadcrumb(crumb: Any, _hint: Any = None) -> Any:
    """Sentry's ``before_breadcrumb``: log lines recorded before an error are redacted too."""
    return scrub(crumb)


def init_error_reporting(settings: CommonSettings, service: str) -> bool:
    """Start Sentry for ``service`` if ``sentry_dsn`` is set; return whether it was started."""
    if settings.sentry_dsn is None or not settings.sentry_dsn.get_secret_value():
        return False
    import sentry_sdk

    rate = settings.sentry_traces_sample_rate
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.env,
        release=release(),
        server_name=service,
        send_default_pii=False,
        include_local_variables=False,
        traces_sample_rate=rate if rate > 0 else None,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    sentry_sdk.set_tag("service", service)
    _log.info("sentry error reporting on", extra={"environment": settings.env})
    return True


def flush_error_reporting(timeout_s: float = 2.0) -> None:
    """Send what is queued before the process ends (no-op when Sentry was never imported)."""
    if "sentry_sdk" not in sys.modules:
        return
    import sentry_sdk

    if sentry_sdk.is_initialized():
        sentry_sdk.flush(timeout=timeout_s)


__all__ = ["flush_error_reporting", "init_error_reporting", "release", "scrub_event"]
