"""Schemathesis against the auth routes of a live gateway: valid and invalid requests alike, never
a 5xx, and every refusal has the documented error body."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.integration.api_gateway.fuzz_support import assert_answered_well

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


def test_no_request_makes_an_auth_route_fail_with_a_5xx(auth_gateway: str) -> None:
    # Driven through Hypothesis directly: schemathesis's pytest plugin does not load under pytest 9.
    api = schemathesis.openapi.from_url(f"{auth_gateway}/openapi.json").include(path_regex=r"^/api/auth/")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 5

    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_without_a_5xx(case: schemathesis.Case) -> None:
            assert_answered_well(case, case.call(timeout=10))

        answers_without_a_5xx()
