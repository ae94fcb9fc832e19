"""The order lifecycle as a transition table: ``next_status(current, trigger)`` or an error.

Every status change of an order goes through ``next_status``, so an impossible sequence (a fill
on a rejected order, an acceptance after a cancel) is caught where it happens rather than stored.
A trigger is the status a report says the order has now; reports of the status it already has
are no-ops for the caller to skip, and are not in the table (``(S, S)`` raises).

Out-of-order reports are the normal case on a real venue (a REST answer, a user-stream event and
a reconciliation query race one another), which is why several "backwards-looking" entries exist;
each carries the exchange case that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from shared.domain.enums import OrderStatus

S = OrderStatus


class InvalidStateTransition(ValueError):
    """A report that would move an order along a path the lifecycle does not have."""


TRANSITIONS: Final[Mapping[tuple[OrderStatus, OrderStatus], OrderStatus]] = {
    (S.INITIALIZED, S.SUBMITTED): S.SUBMITTED,
    # Refused by our own checks (unknown symbol, below LOT_SIZE/NOTIONAL) before anything is sent.
    (S.INITIALIZED, S.REJECTED): S.REJECTED,
    # Found by reconciliation after a crash between storing the row and marking it sent: the
    # venue already has it (the request left before the process died).
    (S.INITIALIZED, S.ACCEPTED): S.ACCEPTED,
    (S.INITIALIZED, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.INITIALIZED, S.FILLED): S.FILLED,
    (S.INITIALIZED, S.CANCELED): S.CANCELED,
    (S.INITIALIZED, S.EXPIRED): S.EXPIRED,
    (S.SUBMITTED, S.ACCEPTED): S.ACCEPTED,
    (S.SUBMITTED, S.REJECTED): S.REJECTED,
    # A MARKET or marketable LIMIT order: Binance's FULL response already says FILLED, or the
    # user stream's TRADE report beats the REST answer.
    (S.SUBMITTED, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.SUBMITTED, S.FILLED): S.FILLED,
    # IOC/FOK with nothing to match, or a MARKET order on an empty book: EXPIRED at once.
    (S.SUBMITTED, S.EXPIRED): S.EXPIRED,
    # Outcome unknown (timeout after acceptance), canceled by the user at the venue before we
    # learnt it existed; reconciliation finds it canceled.
    (S.SUBMITTED, S.CANCELED): S.CANCELED,
    (S.SUBMITTED, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.ACCEPTED, S.FILLED): S.FILLED,
    (S.ACCEPTED, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, S.CANCELED): S.CANCELED,  # canceled at the venue (UI, another client, kill switch)
    (S.ACCEPTED, S.EXPIRED): S.EXPIRED,  # expired by the exchange (maintenance, STP)
    (S.PARTIALLY_FILLED, S.FILLED): S.FILLED,
    (S.PARTIALLY_FILLED, S.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, S.CANCELED): S.CANCELED,
    # LIMIT IOC or MARKET that partly filled: Binance reports the rest EXPIRED, not CANCELED.
    (S.PARTIALLY_FILLED, S.EXPIRED): S.EXPIRED,
    (S.PENDING_CANCEL, S.CANCELED): S.CANCELED,
    # The venue refused the cancel (-2011 with cancelRestrictions) and the order still rests.
    (S.PENDING_CANCEL, S.ACCEPTED): S.ACCEPTED,
    # A fill raced the cancel request: the cancel answers -2011 and the order is (partly) filled.
    (S.PENDING_CANCEL, S.PARTIALLY_FILLED): S.PARTIALLY_FILLED,
    (S.PENDING_CANCEL, S.FILLED): S.FILLED,
    (S.PENDING_CANCEL, S.EXPIRED): S.EXPIRED,
    # The canceled report and a last TRADE report crossed: the trade happened first at the venue
    # (Binance matches before it processes the cancel), so the fill wins.
    (S.CANCELED, S.FILLED): S.FILLED,
}

TERMINAL: Final[frozenset[OrderStatus]] = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED})
"""Statuses after which the venue never changes the order again (except the fill race above)."""

OPEN: Final[frozenset[OrderStatus]] = frozenset(set(OrderStatus) - TERMINAL)
"""Statuses reconciliation keeps asking the venue about."""


def next_status(current: OrderStatus, trigger: OrderStatus) -> OrderStatus:
    """Return the status after ``trigger``; raise ``InvalidStateTransition`` if the table lacks it."""
    try:
        return TRANSITIONS[(current, trigger)]
    except KeyError:
        raise InvalidStateTransition(f"{trigger} from {current} is invalid") from None


def can_move(current: OrderStatus, trigger: OrderStatus) -> bool:
    """Whether ``trigger`` moves the order (a report of the current status does not)."""
    return (current, trigger) in TRANSITIONS


__all__ = ["OPEN", "TERMINAL", "TRANSITIONS", "InvalidStateTransition", "can_move", "next_status"]
