"""Sentry in a real service process, against a local ingest endpoint: with a DSN one scrubbed
event arrives tagged with the service; without one the SDK is never loaded and nothing is sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.failing_service import PLANTED, SERVICE
from tests.support.sentry_ingest import sentry_ingest

pytestmark = pytest.mark.nats
REPO = Path(__file__).resolve().parents[3]


def run_failing_service(nats_url: str, dsn: str | None) -> dict[str, bool]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOPULSE_")}
    env.update({"CRYPTOPULSE_NATS_URL": nats_url, "CRYPTOPULSE_ENV": "test"})
    if dsn is not None:
        env["CRYPTOPULSE_SENTRY_DSN"] = dsn
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.failing_service"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_an_error_in_a_service_reaches_sentry_once_tagged_and_scrubbed(nats_url: str) -> None:
    with sentry_ingest() as ingest:
        report = run_failing_service(nats_url, ingest.dsn)
        [event] = ingest.wait_for_events(1)
        time.sleep(0.5)  # anything sent twice would have arrived by now
        assert len(ingest.events()) == 1
        raw = ingest.raw()
    assert report["sentry_loaded"] is True
    assert event["tags"]["service"] == SERVICE
    assert event["environment"] == "test" and event["release"] == "cryptopulse@0.1.0"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "[REDACTED]" in event["exception"]["values"][-1]["value"]
    for planted in PLANTED:
        assert planted not in raw
    assert any("api_secret=[REDACTED]" in str(crumb) for crumb in event["breadcrumbs"]["values"])
    assert "user" not in event or "ip_address" not in event["user"]


def test_without_a_dsn_nothing_is_loaded_or_sent(nats_url: str) -> None:
    with sentry_ingest() as ingest:
        report = run_failing_service(nats_url, None)
        time.sleep(0.5)
        assert ingest.envelopes == []
    assert report["sentry_loaded"] is False
