"""A service's background tasks: rounds that outlive their failures (sweeps, reloads, outbox
republishing), and stopping them all within a bound at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

_log = logging.getLogger(__name__)


def every(seconds: float, name: str, *works: Callable[[], Awaitable[object]]) -> asyncio.Task[None]:
    """Run each of ``works`` every ``seconds`` until cancelled; a failing one is logged and the next
    round tries again (one bad round must not end a service's sweeps for good)."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            for work in works:
                try:
                    await work()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    _log.exception("%s round failed; the next one retries", name)

    return asyncio.create_task(loop(), name=name)


class Loop(Protocol):
    """A consumer or sweep loop that checks ``stopping`` (nats-py may turn a cancelled fetch into
    a TimeoutError, so cancelling alone could look like a failure to retry)."""

    stopping: bool


async def stop(
    tasks: Iterable[asyncio.Task[None]], loops: Iterable[Loop], *, timeout_s: float, what: str
) -> None:
    """Tell ``loops`` to stop, cancel ``tasks`` and wait for them, at most ``timeout_s``."""
    for loop in loops:
        loop.stopping = True
    pending = list(tasks)
    for task in pending:
        task.cancel()
    try:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(*pending, return_exceptions=True)
    except TimeoutError:
        _log.warning("%s tasks did not stop in time", what)


__all__ = ["Loop", "every", "stop"]
