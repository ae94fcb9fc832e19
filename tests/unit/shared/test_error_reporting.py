"""Sentry starts only with a DSN, and nothing secret is in what it would send."""

from __future__ import annotations

from pydantic import SecretStr

from shared.config.settings import CommonSettings
from shared.telemetry.error_reporting import init_error_reporting, release, scrub_event

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"


def test_without_a_dsn_sentry_is_not_started() -> None:
    assert init_error_reporting(CommonSettings(sentry_dsn=None), "executor") is False
    assert init_error_reporting(CommonSettings(sentry_dsn=SecretStr("")), "executor") is False


def test_the_release_names_the_package_version() -> None:
    assert release() == "cryptopulse@0.1.0"


def test_an_event_is_scrubbed_at_every_depth_before_it_leaves() -> None:
    event = {
        "message": f"login failed with token {JWT}",
        "logentry": {"message": "connecting to %s", "params": ["postgresql://app:hunter2@db/x"]},
        "exception": {"values": [{"type": "VenueError", "value": "refused: api_key=PLANTED-KEY"}]},
        "extra": {"api_secret": "PLANTED-SECRET", "attempts": 3, "nested": {"password": ["a", "b"]}},
        "breadcrumbs": {"values": [{"message": "Authorization: Bearer PLANTED-BEARER"}]},
        "tags": {"service": "executor"},
    }
    sent = scrub_event(event)
    text = repr(sent)
    for planted in (JWT, "hunter2", "PLANTED-KEY", "PLANTED-SECRET", "PLANTED-BEARER"):
        assert planted not in text
    assert sent["extra"] == {"api_secret": "[REDACTED]", "attempts": 3, "nested": {"password": "[REDACTED]"}}
    assert sent["tags"] == {"service": "executor"}  # what is not secret is left as it was
    assert sent["exception"]["values"][0]["type"] == "VenueError"
