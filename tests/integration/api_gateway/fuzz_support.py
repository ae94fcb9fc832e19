"""What every schemathesis run against the gateway asserts of one answer."""

from __future__ import annotations

from typing import Any

import schemathesis

UNPARSABLE = (400, "Invalid HTTP request received.")
"""uvicorn's answer to bytes that are not HTTP (a control character in the request line or a
header): the request never reaches the app, so it cannot carry the app's error body."""


def assert_answered_well(case: schemathesis.Case, response: Any) -> None:
    """No 5xx; every refusal the app makes is JSON with the one error body (code and message)."""
    seen = (case.method, case.formatted_path, case.query, case.headers, case.body)
    assert response.status_code < 500, (*seen, response.text[:300])
    if (response.status_code, response.text) == UNPARSABLE or response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])  # schemathesis: a list per header
    assert content_type[0].startswith("application/json"), (*seen, response.text[:300])
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["message"], seen
