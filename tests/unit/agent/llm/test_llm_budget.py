"""The in-memory token budget (tests and offline runs): per user, per UTC day, bad input refused."""

from __future__ import annotations

from datetime import date

import pytest

from services.agent.llm.budget import InMemoryTokenBudget


class Calendar:
    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


async def test_spending_lowers_only_the_spenders_remaining_tokens() -> None:
    budget = InMemoryTokenBudget(limit=100)

    await budget.spend("alice", 30)
    await budget.spend("alice", 30)

    assert [await budget.remaining("alice"), await budget.remaining("bob")] == [40, 100]


async def test_an_overspent_budget_has_nothing_remaining_never_less() -> None:
    budget = InMemoryTokenBudget(limit=10)

    await budget.spend("alice", 25)

    assert await budget.remaining("alice") == 0


async def test_a_new_utc_day_starts_with_the_whole_limit() -> None:
    calendar = Calendar(date(2026, 12, 3))
    budget = InMemoryTokenBudget(limit=10, today=calendar)
    await budget.spend("alice", 10)

    calendar.day = date(2026, 12, 4)

    assert await budget.remaining("alice") == 10


async def test_a_negative_spend_is_refused_and_changes_nothing() -> None:
    budget = InMemoryTokenBudget(limit=10)
    await budget.spend("alice", 4)

    with pytest.raises(ValueError, match="expected tokens >= 0, was -1"):
        await budget.spend("alice", -1)

    assert await budget.remaining("alice") == 6


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a limit >= 0, was -5"):
        InMemoryTokenBudget(limit=-5)


async def test_a_zero_limit_leaves_nobody_any_tokens() -> None:
    assert await InMemoryTokenBudget(limit=0).remaining("alice") == 0
