"""The rate gate: Retry-After and bans close it, and so does used weight near the minute's limit."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.executor.venues.rate_gate import RateGate


def test_an_open_gate_lets_requests_through_at_once() -> None:
    gate = RateGate()
    assert gate.closed_for_s == 0
    asyncio.run(asyncio.wait_for(gate.wait(), timeout=0.5))


def test_used_weight_below_the_headroom_keeps_it_open() -> None:
    gate = RateGate(weight_limit_1m=1000, weight_headroom=0.9)
    gate.observe({"X-MBX-USED-WEIGHT-1M": "899"})
    assert gate.closed_for_s == 0


def test_the_last_used_weight_is_kept_for_the_metrics_and_a_garbled_one_ignored() -> None:
    gate = RateGate()
    assert gate.used_weight == 0
    gate.observe({"X-MBX-USED-WEIGHT-1M": "42"})
    gate.observe({"X-MBX-USED-WEIGHT-1M": "lots"})
    gate.observe({"Content-Type": "application/json"})
    assert gate.used_weight == 42


@pytest.mark.parametrize("header", ["X-MBX-USED-WEIGHT-1M", "x-mbx-used-weight-1m"])
def test_used_weight_at_the_headroom_closes_it_until_the_minute_turns(header: str) -> None:
    gate = RateGate(weight_limit_1m=1000, weight_headroom=0.9)
    gate.observe({header: "900"})
    to_next_minute = 60.0 - time.time() % 60.0
    assert gate.closed_for_s == pytest.approx(to_next_minute, abs=0.5)
    assert not gate.banned


def test_unreadable_or_missing_weight_headers_change_nothing() -> None:
    gate = RateGate(weight_limit_1m=10)
    gate.observe(None)
    gate.observe({})
    gate.observe({"X-MBX-USED-WEIGHT-1M": "lots"})
    gate.observe({"X-MBX-USED-WEIGHT-1S": "1000"})
    assert gate.closed_for_s == 0


def test_a_closure_is_extended_never_shortened() -> None:
    gate = RateGate()
    gate.close_for(30, banned=True)
    gate.close_for(1)
    assert gate.closed_for_s > 29
    assert gate.banned  # the shorter Retry-After did not lift the ban
    gate.close_for(60)
    assert gate.closed_for_s > 59


def test_wait_holds_requests_until_the_closure_ends_and_then_lifts_the_ban() -> None:
    gate = RateGate()
    gate.close_for(0.2, banned=True)
    started = time.monotonic()
    asyncio.run(gate.wait())
    assert time.monotonic() - started >= 0.19
    assert not gate.banned and gate.closed_for_s == 0


def test_a_closure_extended_while_waiting_is_waited_for_in_full() -> None:
    gate = RateGate()

    async def scenario() -> float:
        gate.close_for(0.1)
        started = time.monotonic()
        waiter = asyncio.create_task(gate.wait())
        await asyncio.sleep(0.05)
        gate.close_for(0.3)  # a 429 answered to another request meanwhile
        await waiter
        return time.monotonic() - started

    assert asyncio.run(scenario()) >= 0.33
