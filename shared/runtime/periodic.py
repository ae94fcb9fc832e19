"""Background rounds that outlive their failures: sweeps, reloads, outbox republishing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

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


__all__ = ["every"]
