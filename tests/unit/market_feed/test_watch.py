"""A socket watch is waited on at most the stale limit, and never cancelled for being slow."""

import asyncio

import pytest

from services.market_feed.watch import StaleWatch


async def test_a_result_in_time_is_returned() -> None:
    async def quick() -> str:
        return "data"

    assert await StaleWatch(quick, 1.0).next() == "data"


async def test_a_slow_watch_returns_none_and_is_waited_on_again_not_restarted() -> None:
    started = 0
    release = asyncio.Event()

    async def slow() -> str:
        nonlocal started
        started += 1
        await release.wait()
        return "late data"

    watch = StaleWatch(slow, 0.05)
    assert await watch.next() is None
    release.set()
    assert await watch.next() == "late data"
    assert started == 1


async def test_the_watch_error_is_raised_and_the_next_call_starts_afresh() -> None:
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("socket closed")
        return "reconnected"

    watch = StaleWatch(failing, 1.0)
    with pytest.raises(ConnectionError):
        await watch.next()
    assert await watch.next() == "reconnected"


async def test_cancel_stops_the_pending_watch() -> None:
    never = asyncio.Event()

    async def forever() -> None:
        await never.wait()

    watch = StaleWatch(forever, 0.01)
    assert await watch.next() is None
    pending = watch._task
    watch.cancel()
    await asyncio.sleep(0)
    assert pending is not None and pending.cancelled()
