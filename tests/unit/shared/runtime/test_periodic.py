"""Background rounds keep going through failures and stop when cancelled."""

from __future__ import annotations

import asyncio

import pytest

from shared.runtime.periodic import every


async def test_a_failing_round_is_logged_and_the_next_round_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    second_round = asyncio.Event()

    async def flaky() -> None:
        calls.append("flaky")
        if len(calls) == 1:
            raise RuntimeError("database away")

    async def steady() -> None:
        calls.append("steady")
        if calls.count("steady") == 2:
            second_round.set()

    task = every(0.01, "sweep", flaky, steady)
    await asyncio.wait_for(second_round.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert calls[:4] == ["flaky", "steady", "flaky", "steady"]  # the failure did not skip the others
    assert "sweep round failed; the next one retries" in caplog.text
    assert task.cancelled()
