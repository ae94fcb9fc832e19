"""Per-user daily token budget: a chat that has spent its tokens is answered without the model.

In memory for now (one agent replica); the interface lets a Postgres-backed budget replace it
when the agent scales out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol


class TokenBudget(Protocol):
    def remaining(self, user_id: str) -> int: ...

    def spend(self, user_id: str, tokens: int) -> None: ...


def _today() -> date:
    return datetime.now(UTC).date()


class InMemoryTokenBudget:
    """``limit`` tokens per user per UTC day; days before today are forgotten."""

    def __init__(self, limit: int, today: Callable[[], date] = _today) -> None:
        if limit < 0:
            raise ValueError(f"expected a limit >= 0, was {limit}")
        self._limit = limit
        self._today = today
        self._spent: dict[tuple[str, date], int] = {}

    def remaining(self, user_id: str) -> int:
        return max(0, self._limit - self._spent.get((user_id, self._today()), 0))

    def spend(self, user_id: str, tokens: int) -> None:
        day = self._today()
        self._spent = {key: value for key, value in self._spent.items() if key[1] == day}
        self._spent[(user_id, day)] = self._spent.get((user_id, day), 0) + max(0, tokens)
