"""Logs never carry secrets; backoff grows, caps and resets."""

import io
import json
import logging
import random

from shared.runtime.backoff import Backoff
from shared.telemetry.logging import REDACTED, JsonFormatter, correlation_id_var, redact


def test_redact_hides_key_value_secrets_and_url_passwords() -> None:
    text = redact("api_key=abc123 secret: s3cr3t url=postgresql://user:pw@db:5432/x signature=ff")
    assert "abc123" not in text and "s3cr3t" not in text and ":pw@" not in text and "ff" not in text
    assert text.count(REDACTED) == 4


def test_redact_hides_bearer_credentials_and_bare_jwts() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    text = redact(f"header Authorization: Bearer {jwt} | got {jwt} | Basic dXNlcjpwdw== | bearer opaque-t0k")
    assert "eyJ" not in text and "dXNlcjpwdw" not in text and "opaque-t0k" not in text
    assert "header" in text and "got" in text  # the rest of the message stays readable


def test_json_formatter_writes_one_object_with_correlation_and_redacted_extras() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = correlation_id_var.set("intent-1")
    try:
        logger.warning("placing order with token=abc", extra={"api_secret": "xyz", "symbol": "BTC/USDT"})
    finally:
        correlation_id_var.reset(token)
    entry = json.loads(stream.getvalue())
    assert entry["correlation_id"] == "intent-1"
    assert entry["api_secret"] == REDACTED
    assert entry["symbol"] == "BTC/USDT"
    assert "abc" not in entry["message"]


def test_backoff_grows_to_its_cap_and_resets() -> None:
    backoff = Backoff(initial_s=1, max_s=8, jitter=0, rng=random.Random(1))
    assert [backoff.next_delay() for _ in range(5)] == [1, 2, 4, 8, 8]
    backoff.reset()
    assert backoff.next_delay() == 1


def test_backoff_jitter_stays_within_its_spread() -> None:
    backoff = Backoff(initial_s=10, max_s=100, jitter=0.2, rng=random.Random(7))
    delay = backoff.next_delay()
    assert 8 <= delay <= 12
