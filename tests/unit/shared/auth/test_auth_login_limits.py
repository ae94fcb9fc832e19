"""Login throttling: a sliding window that counts failures and says how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth.login_limits import LoginLimits, wait_before_next

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_failures_than_the_limit_need_no_wait() -> None:
    assert wait_before_next(minutes_ago(1, 2, 3, 4), 5, WINDOW, NOW) == timedelta(0)


def test_at_the_limit_the_wait_lasts_until_the_oldest_counted_failure_leaves_the_window() -> None:
    # Five failures 1..10 minutes ago: the one 10 minutes ago leaves the window in 5 minutes.
    assert wait_before_next(minutes_ago(1, 2, 3, 4, 10), 5, WINDOW, NOW) == timedelta(minutes=5)


def test_failures_older_than_the_window_do_not_count() -> None:
    assert wait_before_next(minutes_ago(1, 2, 3, 4, 15, 16, 30), 5, WINDOW, NOW) == timedelta(0)


def test_the_order_of_the_failures_given_does_not_matter() -> None:
    failures = minutes_ago(10, 1, 12, 3, 2, 4)  # six failures; the 5th most recent is 10 minutes ago

    assert wait_before_next(failures, 5, WINDOW, NOW) == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        ({"per_email": 0}, "expected limits of at least 1"),
        ({"per_ip": 0}, "expected limits of at least 1"),
        ({"window": timedelta(0)}, "expected a positive window"),
    ],
)
def test_limits_that_would_lock_everyone_out_are_refused(limits: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        LoginLimits(**limits)  # type: ignore[arg-type]
