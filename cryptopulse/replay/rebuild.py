"""Messages in stream order → timelines, keeping only the open ones (bounded memory).

A timeline is handed back the moment it can no longer change: a decision no order follows
(denied, rejected, expired, killed), an order rejected or expired, or fills that add up to the
ordered quantity. Two endings can still be followed by a message, so they *settle* first: a
cancel (a last fill may cross it at the venue: the lifecycle's CANCELED → FILLED) and the fills
of an order for a quote amount (nothing says which fill is the last). Those close once the
recorded clock (``ts_event``) has moved ``settle`` past their last message. Memory thus holds
the orders in flight plus at most ``settle`` worth of settling ones, whatever the stream's length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from cryptopulse.replay.decode import Fields, Recorded
from cryptopulse.replay.timeline import DECIDED_FOR_GOOD, FillSeen, Timeline
from services.risk_gate.outgoing import client_order_id as derived_client_order_id
from shared.domain.enums import DecisionOutcome, OrderStatus, OrderType
from shared.domain.order_fsm import can_move

S = OrderStatus
_EVENT_STATUS = {
    "order.submitted": S.SUBMITTED,
    "order.accepted": S.ACCEPTED,
    "order.rejected": S.REJECTED,
    "order.canceled": S.CANCELED,
    "order.expired": S.EXPIRED,
}
_ENDS_NOW = frozenset({S.REJECTED, S.EXPIRED, S.FILLED})


class Rebuilder:
    """Feeds on ``Recorded`` messages in order; returns the timelines each one completes."""

    def __init__(self, settle: timedelta = timedelta(seconds=60), *, keep_steps: bool = True) -> None:
        self._settle = settle
        self._keep_steps = keep_steps
        """Keep each message on its timeline (for the reports that list them). Without, a message
        is let go once applied: holding every message of the open timelines until they close
        made a replay a third slower, the cost of the memory they keep busy."""
        self.open: dict[str, Timeline] = {}
        """Open timelines by key (intent id, or client order id for a partial one)."""
        self._by_order: dict[str, str] = {}
        """Client order id → timeline key, for the open timelines that have an order."""
        self._settling: deque[tuple[datetime, str]] = deque()
        self._deadline: dict[str, datetime] = {}
        self._clock: datetime | None = None
        self.peak_open = 0
        self._handlers: dict[str, Callable[[Timeline, Recorded], bool]] = {
            "intent.created": self._intent,
            "risk.decision": self._decision,
            "risk.approval": self._approval,
            "exec.submit_order": self._submit,
            "exec.cancel_order": self._cancel_request,
            "order.filled": self._fill,
        }
        for kind in _EVENT_STATUS:
            self._handlers[kind] = self._status

    def add(self, record: Recorded) -> Sequence[Timeline]:
        """Apply one message; return the timelines it (or the clock it moved) completed.

        Called once per replayed message, and most complete nothing: those allocate no list.
        """
        done: list[Timeline] | None = None
        at = record.at
        if self._clock is None or at > self._clock:
            self._clock = at
            if self._settling and self._settling[0][0] <= at:
                done = []
                self._sweep(at, done)
        if record.type != "exec.cancel_all":  # names no order: each cancel comes back as its own event
            timeline = self._timeline_of(record)
            timeline.last_at = at
            if self._keep_steps:
                timeline.steps.append(record)
            if self._handlers[record.type](timeline, record):
                if done is None:
                    done = []
                self._close(timeline, done)
        return () if done is None else done

    def finish(self) -> list[Timeline]:
        """Every timeline still open at the end of the window (incomplete), oldest first."""
        rest = list(self.open.values())
        for timeline in rest:
            if timeline.key in self._deadline:  # settled by the end of the window: complete
                self._settled(timeline)
                timeline.closed = True
        self.open.clear()
        self._by_order.clear()
        self._settling.clear()
        self._deadline.clear()
        return rest

    # -- finding the timeline -------------------------------------------------------------------

    def _timeline_of(self, record: Recorded) -> Timeline:
        fields = record.fields
        intent_id = fields.get("intent_id")
        if intent_id is not None:
            key = intent_id
        else:
            cid = fields["client_order_id"]
            key = self._by_order.get(cid, cid)
        timeline = self.open.get(key)
        if timeline is None:
            timeline = Timeline(key=key, user_id=fields["user_id"], intent_id=intent_id)
            timeline.partial = record.type != "intent.created"
            if intent_id is None:
                timeline.client_order_id = key
                self._by_order[key] = key
            self.open[key] = timeline
            self.peak_open = max(self.peak_open, len(self.open))
        return timeline

    def _link_order(self, timeline: Timeline, cid: str) -> None:
        if timeline.client_order_id is None:
            timeline.client_order_id = cid
            self._by_order[cid] = timeline.key

    # -- messages -------------------------------------------------------------------------------

    def _intent(self, t: Timeline, r: Recorded) -> bool:
        f = r.fields
        self._order_terms(t, f)
        t.intent = f
        if t.client_order_id is None:  # its events may arrive before the command is replayed
            self._link_order(t, derived_client_order_id(t.key))
        return False

    def _decision(self, t: Timeline, r: Recorded) -> bool:
        f = r.fields
        outcome = DecisionOutcome(f["outcome"])
        t.outcome = outcome
        t.decision_check = f.get("check")
        return outcome in DECIDED_FOR_GOOD and not t.commanded

    def _approval(self, t: Timeline, r: Recorded) -> bool:
        return False

    def _submit(self, t: Timeline, r: Recorded) -> bool:
        f = r.fields
        self._order_terms(t, f)
        t.commanded = True
        if t.client_order_id != f["client_order_id"]:
            if t.client_order_id is not None:
                self._by_order.pop(t.client_order_id, None)
            t.client_order_id = None
            self._link_order(t, f["client_order_id"])
        return False

    def _cancel_request(self, t: Timeline, r: Recorded) -> bool:
        return False

    def _status(self, t: Timeline, r: Recorded) -> bool:
        f = r.fields
        target = _EVENT_STATUS[r.type]
        self._move(t, target)
        t.venue = t.venue or f["venue"]
        t.symbol = t.symbol or f["symbol"]
        if target is S.CANCELED and t.status is S.CANCELED:
            self._settle_later(t, r.at)
            return False
        return t.status in _ENDS_NOW

    def _fill(self, t: Timeline, r: Recorded) -> bool:
        f = r.fields
        t.fills[f["trade_id"]] = FillSeen(
            f["trade_id"], f["last_quantity"], f["last_price"], f["commission"], f["commission_asset"]
        )
        t.symbol = t.symbol or f["symbol"]
        t.venue = t.venue or f["venue"]
        t.side = t.side or f["side"]
        if t.quantity is not None and t.filled >= t.quantity:
            self._move(t, S.FILLED)
            return True
        self._move(t, S.PARTIALLY_FILLED)
        self._settle_later(t, r.at)  # for a quote amount (or unknown terms) no fill says "last"
        return False

    # -- state ----------------------------------------------------------------------------------

    @staticmethod
    def _order_terms(t: Timeline, f: Fields) -> None:
        t.venue, t.symbol, t.side, t.order_type = f["venue"], f["symbol"], f["side"], f["order_type"]
        t.quantity, t.quote_quantity, t.limit_price = (
            f.get("quantity"),
            f.get("quote_quantity"),
            f.get("limit_price"),
        )

    @staticmethod
    def _move(t: Timeline, target: OrderStatus) -> None:
        if t.status is None or can_move(t.status, target):
            t.status = target

    def _settle_later(self, t: Timeline, at: datetime) -> None:
        deadline = at + self._settle
        self._deadline[t.key] = deadline
        self._settling.append((deadline, t.key))

    def _sweep(self, now: datetime, done: list[Timeline]) -> None:
        while self._settling and self._settling[0][0] <= now:
            deadline, key = self._settling.popleft()
            if self._deadline.get(key) != deadline:
                continue  # re-armed by a later message, or already closed
            timeline = self.open.get(key)
            if timeline is not None:
                self._settled(timeline)
                self._close(timeline, done)

    @staticmethod
    def _settled(t: Timeline) -> None:
        """A market order for a quote amount whose fills stopped, neither canceled nor expired,
        is filled: market orders do not rest on the book."""
        if t.status is S.PARTIALLY_FILLED and t.quantity is None and t.order_type == OrderType.MARKET:
            t.status = S.FILLED

    def _close(self, timeline: Timeline, done: list[Timeline]) -> None:
        timeline.closed = True
        del self.open[timeline.key]
        self._deadline.pop(timeline.key, None)
        if timeline.client_order_id is not None:
            self._by_order.pop(timeline.client_order_id, None)
        done.append(timeline)


__all__ = ["Rebuilder"]
