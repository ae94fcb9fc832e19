"""Keep one socket ``watch_*`` call in flight and notice when it has gone quiet.

ccxt.pro resolves a watch when data arrives, and after failed dials it waits its own backoff (up
to 30 s) before dialling again. Waiting on it blindly would leave the feed silent that long; so the
feed waits at most ``stale_after_s``, polls REST meanwhile, and waits on the *same* call again
(cancelling it would tear ccxt's subscription state).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class StaleWatch(Generic[T]):
    """``next()`` returns the watch's result, ``None`` if none came in time, or raises its error."""

    def __init__(self, start: Callable[[], Awaitable[T]], stale_after_s: float) -> None:
        self._start = start
        self._stale_after_s = stale_after_s
        self._task: asyncio.Future[T] | None = None

    async def next(self) -> T | None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._start())
        done, _ = await asyncio.wait({self._task}, timeout=self._stale_after_s)
        if not done:
            return None
        task, self._task = self._task, None
        return task.result()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
