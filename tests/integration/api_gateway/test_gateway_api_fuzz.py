"""Schemathesis against every signed-in route of a live gateway (the auth routes have their own
run): valid and invalid requests alike, as a real user, never a 5xx, and every refusal carries
the documented error body."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.api_gateway.conftest import _user
from tests.integration.api_gateway.fuzz_support import assert_answered_well
from tests.integration.api_gateway.trading_support import bearer

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

EXAMPLES_PER_MODE = 12
"""Per operation and generation mode: ~30 operations x 2 modes stay around a minute on 2 cores."""


async def test_no_request_makes_a_signed_in_route_fail_with_a_5xx(
    trading_gateway: str, db: async_sessionmaker[AsyncSession]
) -> None:
    user = await _user(db, "fuzz")
    headers = bearer(user.id)
    api = schemathesis.openapi.from_url(f"{trading_gateway}/openapi.json").exclude(path_regex=r"^/api/auth/")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25  # every route of the API, not a handful

    failures: list[str] = []
    ran = 0
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answers_without_a_5xx(case: schemathesis.Case) -> None:
            assert_answered_well(case, case.call(headers=headers, timeout=10))

        try:
            answers_without_a_5xx()
            ran += 1
        except Unsatisfiable:  # e.g. nothing to make invalid in a route without parameters
            assert mode is GenerationMode.NEGATIVE, operation.label
        except AssertionError as e:  # gather every operation's failure, not only the first
            failures.append(f"{operation.label} [{mode.value}]: {e}")
    assert not failures, "\n".join(failures)
    assert ran >= len(operations)  # every operation ran at least with valid data
