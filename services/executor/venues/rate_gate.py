"""One gate per exchange IP: Retry-After, 418 bans and request weight, shared by every account.

Binance counts weight per IP, not per key, so every user's client on one venue shares one gate.
After a 429 the gate closes for Retry-After; after a 418 (an IP ban, 2 minutes to 3 days) it
closes until the ban ends, and nothing is sent meanwhile. When the used weight of the current
minute (``X-MBX-USED-WEIGHT-1M``) nears the limit, it closes until the next minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

_log = logging.getLogger(__name__)
WEIGHT_HEADER = "x-mbx-used-weight-1m"


class RateGate:
    """Closes on rate-limit answers and high weight; ``wait`` returns when sending is allowed."""

    def __init__(self, *, weight_limit_1m: int = 6000, weight_headroom: float = 0.9) -> None:
        self._weight_ceiling = int(weight_limit_1m * weight_headroom)
        self._open_at = 0.0
        self.banned = False
        self.used_weight = 0
        """The current minute's used weight the venue last reported."""

    @property
    def closed_for_s(self) -> float:
        return max(0.0, self._open_at - time.monotonic())

    def close_for(self, seconds: float, *, banned: bool = False) -> None:
        """Send nothing for ``seconds`` (extends, never shortens, a closure)."""
        until = time.monotonic() + max(0.0, seconds)
        if until > self._open_at:
            self._open_at = until
            self.banned = banned
            _log.warning("venue gate closed", extra={"seconds": round(seconds, 3), "banned": banned})

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Read the used weight from a response; close until the minute turns when near the limit."""
        if not headers:
            return
        for name, value in headers.items():
            if name.lower() == WEIGHT_HEADER:
                try:
                    used = int(value)
                except ValueError:
                    return
                self.used_weight = used
                if used >= self._weight_ceiling:
                    self.close_for(60.0 - time.time() % 60.0)
                return

    async def wait(self) -> None:
        # A loop, not one sleep: another answer may extend the closure while we wait.
        while (delay := self.closed_for_s) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)
        self.banned = False


__all__ = ["RateGate"]
