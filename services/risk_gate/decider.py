"""Decide intents, approvals, expiries and kills, each under the user's row lock; the intents that
arrive together (of different users) share one transaction (``batching``).

The lock (``risk_accounts`` ``FOR UPDATE``) is what makes limits hold across gate replicas: the
second replica's decision reads the first one's approval before it counts headroom. The kill
switch is read from Postgres inside the same transaction, so it holds even when NATS is down.

Every decision is stored before anything is published; what the transaction stored is returned
as ``Outgoing`` messages with deterministic ids, published after commit and then marked
published (in batches, by ``published.PublishedMarks``). A crash in between leaves the intent in
the outbox (``published`` ≠ ``status``), and ``unpublished`` returns it to be sent again, with
the same ids, which JetStream drops as duplicates if they had gone out.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.risk_gate import checks
from services.risk_gate import decision_store as store
from services.risk_gate.account_rows import AccountRows
from services.risk_gate.account_view import account_view, ask, interpret
from services.risk_gate.batching import Coalescer
from services.risk_gate.markets import Listing
from services.risk_gate.metrics import RiskMetrics
from services.risk_gate.model import Failure, Limits, MarketView, Proposal
from services.risk_gate.outgoing import client_order_id, decision, submit_order
from services.risk_gate.references import ReferencePrices
from shared.db.repositories import intents, kill_switches, risk_accounts, risk_limits
from shared.db.repositories.intents import IntentRecord
from shared.db.repositories.risk_accounts import RiskAccount
from shared.db.repositories.risk_audit import record as audit
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome, IntentSource, OrderSide, OrderType, TradingMode, VenueName
from shared.messages.commands import SubmitOrder
from shared.messages.risk import ApprovalGiven, RiskDecisionMade

_log = logging.getLogger(__name__)
D = DecisionOutcome
GATE = "risk_gate"
AT_APPROVAL_SKIPPED = frozenset({checks.DUPLICATE_INTENT, checks.INTENT_RATE, checks.RULE_THROTTLE})
"""Checks that judged the intent's arrival, not the order: not run again when a person approves."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one stored decision publishes: the decision and, for an approval, the order."""

    intent_id: str
    status: DecisionOutcome
    decision: RiskDecisionMade
    command: SubmitOrder | None = None


class Decider:
    """Runs every state change of the gate; stateless apart from the listing and the prices."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        pool: asyncpg.Pool,
        listing: Listing,
        references: ReferencePrices,
        *,
        venue: str,
        metrics: RiskMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pool = pool
        self._metrics = metrics
        self._listing = listing
        self._references = references
        self._venue = venue
        self._clock = clock
        self._batches = Coalescer(self.decide_many, lambda p: p.user_id)

    # -- INTENTS -----------------------------------------------------------------------------------

    async def decide(self, proposal: Proposal) -> Outgoing:
        """Check the intent and store approved, pending, denied or killed; a replayed id gets the
        stored decision back. Intents of other users submitted meanwhile share the transaction."""
        return await self._batches.submit(proposal)

    async def decide_many(self, proposals: Sequence[Proposal]) -> list[Outgoing]:
        """Decide intents of distinct users in one transaction (on asyncpg: ``decision_store``),
        in three statements: every lock and limits, then (a fresh snapshot, after the locks) every
        row the checks read, then one insert of every decision, whose values are the records
        returned. A new equity high and a failed check's consequences add one each."""
        if len({p.user_id for p in proposals}) != len(proposals):
            raise ValueError("one intent per user in a batch: a user's intents are decided in turn")
        now = self._clock()
        async with self._pool.acquire() as connection, connection.transaction():
            locked = await store.lock_many(connection, [p.user_id for p in proposals])
            asks = [ask(p.user_id, locked[p.user_id][1], now, p.intent_id) for p in proposals]
            read = await store.read_accounts(connection, self._venue, asks)
            records: list[IntentRecord] = []
            hits = 0
            for proposal in proposals:
                account, limits = locked[proposal.user_id]
                rows = read[proposal.user_id]
                if rows.existing is not None:
                    records.append(rows.existing)
                    continue
                market = self._market(proposal.symbol, limits, now)
                status, failure, hit = await self._judge(
                    connection, proposal, limits, market, now, account, rows
                )
                hits += hit
                records.append(_record_of(proposal, market, status, failure, limits, now))
            fresh = [r for p, r in zip(proposals, records, strict=True) if read[p.user_id].existing is None]
            stored = await store.record_decisions(connection, fresh)
            for index, record in enumerate(records):
                if record.intent_id not in stored and read[record.user_id].existing is None:
                    taken = await store.get_intent(connection, record.intent_id)  # another user's id
                    assert taken is not None
                    records[index] = taken
        for record in fresh:  # committed: count what this transaction stored
            if record.intent_id in stored:
                self._metrics.decided(record.status, record.check_name)
        self._metrics.loss_limit_hits.inc(hits)
        return [self._outgoing(record, now) for record in records]

    async def _judge(
        self,
        connection: asyncpg.Connection,
        proposal: Proposal,
        limits: Limits,
        market: MarketView,
        now: datetime,
        account: RiskAccount,
        rows: AccountRows,
    ) -> tuple[DecisionOutcome, Failure | None, bool]:
        """The outcome, the failed check, and whether the daily loss limit just put the user in
        reduce-only."""
        if rows.kill is not None:
            scope, reason = rows.kill
            return D.KILLED, Failure("kill_switch", f"kill switch engaged ({scope}): {reason}"), False
        view, high_water = interpret(rows, account, self._reference_prices(), now=now)
        if high_water is not None:
            await store.move_high_water(connection, account.user_id, *high_water)
        failure = checks.evaluate(proposal, limits, market, view, now)
        if failure is None:
            return (D.APPROVED if account.mode is TradingMode.AUTONOMOUS else D.PENDING), None, False
        hit = await self._consequences(connection, proposal, failure, view.reduce_only)
        return D.DENIED, failure, hit

    @staticmethod
    async def _consequences(
        connection: asyncpg.Connection, proposal: Proposal, failure: Failure, reduce_only: bool
    ) -> bool:
        """A failed check that must change the account, not only refuse this intent; True when
        it put the user in reduce-only."""
        if failure.check == checks.RULE_THROTTLE and proposal.rule_id is not None:
            await store.disable_rule(connection, proposal.user_id, proposal.rule_id, GATE, failure.reason)
        elif failure.check == checks.REDUCE_ONLY and not reduce_only:
            await store.turn_on_reduce_only(connection, proposal.user_id, GATE, failure.reason)
            return True
        return False

    # -- APPROVALS ---------------------------------------------------------------------------------

    async def answer(self, approval: ApprovalGiven) -> Outgoing | None:
        """Apply a person's approval or rejection; None when it does not apply (already decided,
        expired, or the parameters changed since they saw them) — that refusal is audited."""
        now = self._clock()
        user_id = uuid.UUID(approval.user_id)
        async with service_session(self._sessionmaker) as session:
            account = await risk_accounts.lock(session, user_id)
            pending = await intents.get(session, approval.intent_id, for_update=True)
            refusal = self._refusal(pending, approval, user_id, now)
            if refusal is not None:
                await audit(session, user_id, approval.actor, "approval.refused",
                            {"intent_id": approval.intent_id, "reason": refusal})  # fmt: skip
                _log.warning("approval refused", extra={"intent_id": approval.intent_id, "reason": refusal})
                return None
            assert pending is not None
            failure: Failure | None = Failure("person", approval.reason or "rejected by the trader")
            status = D.REJECTED
            if approval.approve:
                status, failure = await self._recheck(session, pending, now, account)
            moved = await intents.transition(
                session, pending.intent_id, D.PENDING, status,
                digest=approval.digest, alive_at=now, decided_by=approval.actor,
                reason=failure.reason if failure else None, check_name=failure.check if failure else None,
                client_order_id=client_order_id(pending.intent_id) if status is D.APPROVED else None,
                now=now,
            )  # fmt: skip
            assert moved is not None  # the row is locked and was checked above
        self._metrics.decided(moved.status, moved.check_name)
        waited = (now - pending.created_at).total_seconds()
        self._metrics.approval_latency.labels(moved.status.value).observe(max(waited, 0.0))
        return self._outgoing(moved, now)

    @staticmethod
    def _refusal(
        pending: IntentRecord | None, approval: ApprovalGiven, user_id: uuid.UUID, now: datetime
    ) -> str | None:
        if pending is None or pending.user_id != user_id:
            return "no such proposal"
        if pending.status is not D.PENDING:
            return f"the proposal is already {pending.status.value}"
        if pending.digest != approval.digest:
            return "the proposal's parameters changed since it was shown; approve the new one"
        if pending.expires_at is not None and pending.expires_at <= now:
            return "the proposal expired"
        return None

    async def _recheck(
        self, session: AsyncSession, pending: IntentRecord, now: datetime, account: RiskAccount
    ) -> tuple[DecisionOutcome, Failure | None]:
        """Approval runs the order's checks again: the market and the account moved meanwhile."""
        kill = await kill_switches.engaged_for(session, pending.user_id)
        if kill is not None:
            return D.KILLED, Failure("kill_switch", f"kill switch engaged ({kill.scope}): {kill.reason}")
        proposal = _proposal_of(pending)
        limits = await risk_limits.load(session, pending.user_id)
        market = self._market(proposal.symbol, limits, now)
        view = await account_view(
            session, pending.user_id, self._venue, self._reference_prices(), limits=limits, now=now,
            locked=account,
        )  # fmt: skip
        others = {digest: at for digest, at in view.recent_digests.items() if digest != pending.digest}
        view = replace(view, recent_digests=others)
        for check in checks.CHECKS:
            if check.__name__ in AT_APPROVAL_SKIPPED:
                continue
            failure = check(proposal, limits, market, view, now)
            if failure is not None:
                return D.DENIED, failure
        return D.APPROVED, None

    # -- EXPIRY AND KILL ---------------------------------------------------------------------------

    async def expire(self) -> list[Outgoing]:
        """Expire pending proposals past their time, or whose price moved past the threshold."""
        now = self._clock()
        out: list[Outgoing] = []
        async with service_session(self._sessionmaker) as session:
            for pending in await intents.pending_for_update(session):
                reason = await self._expiry_reason(session, pending, now)
                if reason is None:
                    continue
                moved = await intents.transition(
                    session, pending.intent_id, D.PENDING, D.EXPIRED,
                    decided_by=GATE, reason=reason, check_name="approval_window", now=now,
                )  # fmt: skip
                if moved is not None:
                    out.append(self._outgoing(moved, now))
        for _ in out:
            self._metrics.decided(D.EXPIRED, None)
        return out

    async def _expiry_reason(self, session: AsyncSession, pending: IntentRecord, now: datetime) -> str | None:
        if pending.expires_at is not None and pending.expires_at <= now:
            return "not approved in time"
        reference = self._references.latest(pending.symbol)
        if reference is None or pending.reference_price is None or pending.reference_price <= 0:
            return None
        limits = await risk_limits.load(session, pending.user_id)
        moved_pct = abs(reference.price - pending.reference_price) / pending.reference_price * 100
        if moved_pct > limits.approval_max_move_pct:
            return (
                f"the price moved {moved_pct:.2f}% since the proposal "
                f"(more than {limits.approval_max_move_pct}%); propose again"
            )
        return None

    async def kill(self, user_id: uuid.UUID | None, reason: str) -> list[Outgoing]:
        """Void pending proposals (of everyone for a global kill); new intents are refused by
        ``decide`` reading the flag itself."""
        now = self._clock()
        async with service_session(self._sessionmaker) as session:
            voided = await intents.void_pending(session, user_id, D.KILLED, reason=reason)
            records = [await intents.get(session, intent_id) for intent_id in voided]
        for _ in voided:
            self._metrics.decided(D.KILLED, None)
        return [self._outgoing(r, now) for r in records if r is not None]

    # -- OUTBOX ------------------------------------------------------------------------------------

    async def unpublished(self, older_than: timedelta) -> list[Outgoing]:
        now = self._clock()
        async with service_session(self._sessionmaker) as session:
            records = await intents.outbox(session, now - older_than)
        return [self._outgoing(r, now) for r in records]

    # -- HELPERS -----------------------------------------------------------------------------------

    def _market(self, symbol: str, limits: Limits, now: datetime) -> MarketView:
        reference = self._references.latest(symbol)
        anchor = self._references.window_start(symbol, limits.collar_window_s, now)
        return MarketView(
            rules=self._listing.rules.get(symbol),
            trading=self._listing.trading.get(symbol, False),
            reference_price=reference.price if reference else None,
            reference_at=reference.at if reference else None,
            window_reference=anchor.price if anchor else None,
        )

    def _reference_prices(self) -> dict[str, Decimal]:
        return self._references.prices()

    @staticmethod
    def _outgoing(record: IntentRecord, now: datetime) -> Outgoing:
        message = decision(
            record.intent_id,
            str(record.user_id),
            record.status,
            record.decided_at or record.created_at or now,
            correlation_id=record.correlation_id,
            reason=record.reason or "",
            check=record.check_name,
            digest=record.digest,
            expires_at=record.expires_at if record.status is D.PENDING else None,
            actor=record.decided_by,
        )
        command = None
        if record.status is D.APPROVED:
            command = submit_order(_proposal_of(record), record.decided_at or now)
        return Outgoing(record.intent_id, record.status, message, command)


def _record_of(
    proposal: Proposal,
    market: MarketView,
    status: DecisionOutcome,
    failure: Failure | None,
    limits: Limits,
    now: datetime,
) -> IntentRecord:
    """The row ``record_decisions`` stores, as ``intents.get`` would read it back."""
    return IntentRecord(
        intent_id=proposal.intent_id, user_id=proposal.user_id, correlation_id=proposal.correlation_id,
        source=proposal.source.value, rule_id=proposal.rule_id, venue=proposal.venue.value,
        symbol=proposal.symbol, side=proposal.side.value, order_type=proposal.order_type.value,
        quantity=proposal.quantity, quote_quantity=proposal.quote_quantity,
        limit_price=proposal.limit_price, digest=proposal.digest,
        reference_price=market.reference_price, status=status,
        check_name=failure.check if failure else None, reason=failure.reason if failure else None,
        decided_by=GATE if status is not D.PENDING else None, created_at=now,
        decided_at=None if status is D.PENDING else now,
        expires_at=now + timedelta(seconds=limits.approval_ttl_s) if status is D.PENDING else None,
        client_order_id=client_order_id(proposal.intent_id) if status is D.APPROVED else None,
        settled=False,
    )  # fmt: skip


def _proposal_of(record: IntentRecord) -> Proposal:
    return Proposal(
        intent_id=record.intent_id,
        user_id=record.user_id,
        venue=VenueName(record.venue),
        symbol=record.symbol,
        side=OrderSide(record.side),
        order_type=OrderType(record.order_type),
        quantity=record.quantity,
        quote_quantity=record.quote_quantity,
        limit_price=record.limit_price,
        source=IntentSource(record.source),
        rule_id=record.rule_id,
        correlation_id=record.correlation_id,
        received_at=record.created_at,
    )


__all__ = ["Decider", "Outgoing"]
