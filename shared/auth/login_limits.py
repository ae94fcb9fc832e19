"""Login throttling: a sliding window of failed logins per e-mail address and per client IP.

Failures, not attempts, are counted, so a user who signs in correctly is never slowed down; and
the address is counted whether or not it belongs to an account, so the limit tells an attacker
nothing either. The window slides: once ``limit`` failures fall within ``window``, the next try is
allowed when the oldest of them leaves it, and that wait is what ``Retry-After`` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """How many failures ``window`` may hold per address and per IP before logins are refused."""

    per_email: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.per_email < 1 or self.per_ip < 1:
            raise ValueError(f"expected limits of at least 1, was {self.per_email} and {self.per_ip}")
        if self.window <= timedelta(0):
            raise ValueError(f"expected a positive window, was {self.window}")


def wait_before_next(failures: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> timedelta:
    """Return how long until one more failure fits in the window (zero when it fits now).

    ``failures`` are the failure times, newest first, at least the ``limit`` most recent ones.
    """
    recent = [at for at in failures if at > now - window]
    if len(recent) < limit:
        return timedelta(0)
    # Sorted here rather than trusted: the limit-th most recent failure is the one that must age out.
    oldest_counted = sorted(recent, reverse=True)[limit - 1]
    return max(oldest_counted + window - now, timedelta(0))


__all__ = ["LoginLimits", "wait_before_next"]
