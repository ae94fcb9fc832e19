"""Every (status, trigger) pair: allowed exactly when the lifecycle says so, otherwise it raises."""

from __future__ import annotations

import itertools

import pytest

from shared.domain.enums import OrderStatus
from shared.domain.order_fsm import OPEN, TERMINAL, InvalidStateTransition, can_move, next_status

S = OrderStatus

# Written out independently of the table: the specification the table must match.
ALLOWED: dict[OrderStatus, set[OrderStatus]] = {
    S.INITIALIZED: {S.SUBMITTED, S.REJECTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED},
    S.SUBMITTED: {
        S.ACCEPTED,
        S.REJECTED,
        S.PARTIALLY_FILLED,
        S.FILLED,
        S.EXPIRED,
        S.CANCELED,
        S.PENDING_CANCEL,
    },
    S.ACCEPTED: {S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED},
    S.PARTIALLY_FILLED: {S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED},
    S.PENDING_CANCEL: {S.CANCELED, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.EXPIRED},
    S.CANCELED: {S.FILLED},
    S.FILLED: set(),
    S.REJECTED: set(),
    S.EXPIRED: set(),
}


@pytest.mark.parametrize(("current", "trigger"), list(itertools.product(OrderStatus, OrderStatus)))
def test_every_pair_is_allowed_exactly_when_the_lifecycle_has_it(
    current: OrderStatus, trigger: OrderStatus
) -> None:
    if trigger in ALLOWED[current]:
        assert next_status(current, trigger) is trigger
        assert can_move(current, trigger)
    else:
        with pytest.raises(InvalidStateTransition, match=f"{trigger} from {current}"):
            next_status(current, trigger)
        assert not can_move(current, trigger)


def test_terminal_and_open_partition_the_statuses() -> None:
    assert {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED} == TERMINAL
    assert set(OrderStatus) == OPEN | TERMINAL and not OPEN & TERMINAL


def test_nothing_leaves_a_rejected_filled_or_expired_order() -> None:
    for final in (S.REJECTED, S.FILLED, S.EXPIRED):
        assert not any(can_move(final, trigger) for trigger in OrderStatus)
