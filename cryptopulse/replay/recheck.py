"""``--recheck``: today's risk checks on each recorded intent, with the inputs that were recorded.

What was recorded: the intent itself (the stream), the reference price the gate used and the
user's limits as they stand today (the database, read-only), and, rebuilt from the stream as it
went, the user's intents and orders in the minute before and the digests seen before (duplicate
intents). What was not: the venue's filters (the replay never reaches an exchange) and the
account's balances and positions at that moment. So the checks re-run are those whose inputs
are all recorded (``RECHECKED``); the others are named in the report as not re-run, never
guessed. A difference is reported when today's first refusal (or pass) is not what the gate
decided then.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from types import SimpleNamespace
from typing import Any

import asyncpg

from cryptopulse.replay.decode import Recorded
from cryptopulse.replay.timeline import Timeline
from services.risk_gate.checks import CHECKS
from services.risk_gate.checks._common import EXACT
from services.risk_gate.model import AccountView, Limits, MarketView, Proposal
from shared.db.repositories.risk_limits import limits_of
from shared.domain.enums import DecisionOutcome, IntentSource, OrderSide, OrderType, VenueName

RECHECKED = (
    "symbol_allowed",
    "order_shape",
    "duplicate_intent",
    "intent_rate",
    "order_rate",
    "reference_price",
    "price_collar",
    "max_order_value",
    "max_order_quantity",
)
"""The checks whose every input is recorded, in the gate's order."""
_RUN = tuple(check for check in CHECKS if check.__name__ in RECHECKED)
NOT_RECHECKED = tuple(check.__name__ for check in CHECKS if check.__name__ not in RECHECKED)
_NEEDS_REFERENCE = frozenset({"reference_price", "price_collar", "max_order_value", "max_order_quantity"})
_MINUTE = timedelta(minutes=1)
_DIGESTS_KEPT = timedelta(hours=1)
"""How long a digest is remembered for the duplicate check (longer than any sane window)."""

_REFERENCES = "SELECT intent_id, reference_price FROM intents WHERE intent_id = ANY($1::text[])"
_LIMITS = "SELECT * FROM risk_limits WHERE user_id = ANY($1::uuid[])"


def proposal_of(fields: dict[str, Any]) -> Proposal:
    return Proposal(
        intent_id=fields["intent_id"],
        user_id=uuid.UUID(fields["user_id"]),
        venue=VenueName(fields["venue"]),
        symbol=fields["symbol"],
        side=OrderSide(fields["side"]),
        order_type=OrderType(fields["order_type"]),
        quantity=fields.get("quantity"),
        quote_quantity=fields.get("quote_quantity"),
        limit_price=fields.get("limit_price"),
        source=IntentSource(fields["source"]),
        rule_id=fields.get("rule_id"),
        correlation_id=fields.get("correlation_id") or fields["intent_id"],
        received_at=fields["ts_event"],
    )


class _UserActivity:
    """One user's recent intents, orders and digests, as of the message being replayed."""

    def __init__(self) -> None:
        self.intents: deque[datetime] = deque()
        self.orders: deque[datetime] = deque()
        self.digests: dict[str, datetime] = {}
        self.digest_order: deque[tuple[datetime, str]] = deque()

    @staticmethod
    def _count(times: deque[datetime], now: datetime) -> int:
        while times and times[0] <= now - _MINUTE:
            times.popleft()
        return len(times)

    def intent(self, at: datetime, digest: str) -> AccountView:
        while self.digest_order and self.digest_order[0][0] <= at - _DIGESTS_KEPT:
            old_at, old = self.digest_order.popleft()
            if self.digests.get(old) == old_at:
                del self.digests[old]
        seen = self.digests.get(digest)
        view = AccountView(
            intents_last_minute=self._count(self.intents, at),
            orders_last_minute=self._count(self.orders, at),
            recent_digests={} if seen is None else {digest: seen},
        )
        self.intents.append(at)
        self.digests[digest] = at
        self.digest_order.append((at, digest))
        return view

    def order(self, at: datetime) -> None:
        self._count(self.orders, at)
        self.orders.append(at)


class Rechecker:
    """Watches the stream for the account's recorded activity; judges each intent at flush."""

    def __init__(self, pool: asyncpg.Pool | None) -> None:
        self._pool = pool
        self._users: dict[str, _UserActivity] = {}
        self._accounts: dict[str, AccountView] = {}
        """The account view of each intent not yet judged (released when judged)."""
        self._references: dict[str, Decimal | None] = {}
        self._limits: dict[str, Limits] = {}

    def observe(self, record: Recorded) -> None:
        fields = record.fields
        if record.type == "intent.created":
            user = self._users.setdefault(fields["user_id"], _UserActivity())
            try:
                digest = proposal_of(fields).digest
            except (KeyError, ValueError):
                return
            self._accounts[fields["intent_id"]] = user.intent(record.at, digest)
        elif record.type == "exec.submit_order":
            self._users.setdefault(fields["user_id"], _UserActivity()).order(record.at)

    async def prepare(self, timelines: Sequence[Timeline]) -> None:
        """Load the reference prices of these intents and their users' limits (two queries)."""
        self._references = {}
        if self._pool is None:
            return
        ids = [t.intent_id for t in timelines if t.intent is not None and t.intent_id is not None]
        users = sorted({t.user_id for t in timelines if t.intent is not None} - self._limits.keys())
        async with self._pool.acquire() as connection, connection.transaction(readonly=True):
            for row in await connection.fetch(_REFERENCES, ids):
                self._references[row["intent_id"]] = row["reference_price"]
            found = {str(row["user_id"]): row for row in await connection.fetch(_LIMITS, users)}
        for user in users:
            row = found.get(user)
            self._limits[user] = limits_of(None if row is None else SimpleNamespace(**dict(row)))

    def verdict(self, timeline: Timeline) -> str | None:
        """Where today's checks decide otherwise than the recorded decision, say how; else None."""
        if timeline.intent is None or timeline.intent_id is None:
            return None
        account = self._accounts.pop(timeline.intent_id, AccountView())
        recorded = timeline.outcome
        if recorded is None:
            return None
        proposal = proposal_of(timeline.intent)
        reference = self._references.get(timeline.intent_id)
        at = timeline.intent["ts_event"]
        market = MarketView(rules=None, trading=True, reference_price=reference, reference_at=at)
        limits = self._limits.get(timeline.user_id, Limits())
        failure = None
        with localcontext(EXACT):
            for check in _RUN:
                if reference is None and check.__name__ in _NEEDS_REFERENCE:
                    continue  # not recorded (no database, or the gate had none): not judged
                failure = check(proposal, limits, market, account, at)
                if failure is not None:
                    break
        then_denied = recorded is DecisionOutcome.DENIED
        if failure is None:
            if then_denied and timeline.decision_check in RECHECKED:
                return f"would pass today; denied then by {timeline.decision_check}"
            return None
        if then_denied and timeline.decision_check == failure.check:
            return None
        then = f"denied then by {timeline.decision_check}" if then_denied else f"{recorded.value} then"
        return f"would be denied today by {failure.check}: {failure.reason} ({then})"


__all__ = ["NOT_RECHECKED", "RECHECKED", "Rechecker", "proposal_of"]
