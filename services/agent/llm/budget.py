"""Per-user daily token budget: a chat that has spent its tokens is answered without the model.

``PostgresTokenBudget`` is the agent's: usage lives in ``agent_token_usage``, so every replica
sees the same total and a restart forgets nothing. ``InMemoryTokenBudget`` is for tests and
offline runs. Both count UTC days. Reading ``remaining`` and then spending is not one step: two
chats of one user in flight at once may both be let through and overshoot by one reply each,
which bounds the overshoot without holding a lock across a model call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Protocol

from shared.db.repositories.token_usage import TokenUsageRepository


class TokenBudget(Protocol):
    async def remaining(self, user_id: str) -> int: ...

    async def spend(self, user_id: str, tokens: int) -> None: ...


def _today() -> date:
    return datetime.now(UTC).date()


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise ValueError(f"expected a limit >= 0, was {limit}")


def _check_tokens(tokens: int) -> None:
    if tokens < 0:
        raise ValueError(f"expected tokens >= 0, was {tokens}")


class InMemoryTokenBudget:
    """``limit`` tokens per user per UTC day; days before today are forgotten."""

    def __init__(self, limit: int, today: Callable[[], date] = _today) -> None:
        _check_limit(limit)
        self._limit = limit
        self._today = today
        self._spent: dict[tuple[str, date], int] = {}

    async def remaining(self, user_id: str) -> int:
        return max(0, self._limit - self._spent.get((user_id, self._today()), 0))

    async def spend(self, user_id: str, tokens: int) -> None:
        _check_tokens(tokens)
        day = self._today()
        self._spent = {key: value for key, value in self._spent.items() if key[1] == day}
        self._spent[(user_id, day)] = self._spent.get((user_id, day), 0) + tokens


class PostgresTokenBudget:
    """``limit`` tokens per user per UTC day, counted in Postgres; user ids are ``users.id`` UUIDs."""

    def __init__(self, usage: TokenUsageRepository, limit: int, today: Callable[[], date] = _today) -> None:
        _check_limit(limit)
        self._usage = usage
        self._limit = limit
        self._today = today

    async def remaining(self, user_id: str) -> int:
        spent = await self._usage.spent(_user_uuid(user_id), self._today())
        return max(0, self._limit - spent)

    async def spend(self, user_id: str, tokens: int) -> None:
        _check_tokens(tokens)
        user = _user_uuid(user_id)
        if tokens > 0:
            await self._usage.spend(user, self._today(), tokens)


def _user_uuid(user_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise ValueError(f"expected the user id to be a UUID (users.id), was {user_id!r}") from None


__all__ = ["InMemoryTokenBudget", "PostgresTokenBudget", "TokenBudget"]
