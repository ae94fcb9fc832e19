"""The gate's inputs, each a thin handler over the ``Decider``: intents, approvals, mode changes
and the kill switch; plus publishing what a decision stored.

Bad input never reaches a check: an intent that does not validate is dead-lettered with the
reason, the reason is written to the audit log, and when it named its intent and user the user
gets a denied decision saying why. Nothing of it is ever forwarded.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.risk_gate.decider import Decider, Outgoing
from services.risk_gate.intake import VALIDATION, Refused, read_intent, subject_user
from services.risk_gate.markets import Listing
from services.risk_gate.metrics import RiskMetrics
from services.risk_gate.outgoing import decision
from services.risk_gate.published import PublishedMarks
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.risk_accounts import RiskAccountRepository
from shared.db.repositories.risk_audit import RiskAuditRepository
from shared.domain.enums import DecisionOutcome, KillScope
from shared.messages import subjects
from shared.messages.risk import ApprovalGiven, TradingModeRequested
from shared.messages.system import KillSwitchEngaged, KillSwitchReleased
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.publisher import Outgoing as Send
from shared.messaging.pull import Poison

_log = logging.getLogger(__name__)
ACTOR = "risk_gate"


class Handlers:
    """One method per input subject; each raises ``Poison`` for input that can never succeed."""

    def __init__(
        self,
        decider: Decider,
        publisher: JetStreamPublisher,
        marks: PublishedMarks,
        sessionmaker: async_sessionmaker[AsyncSession],
        listing: Listing,
        *,
        venue: str,
        metrics: RiskMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._decider = decider
        self._metrics = metrics
        self._publisher = publisher
        self._marks = marks
        self._listing = listing
        self._venue = venue
        self._clock = clock
        self._audit = RiskAuditRepository(sessionmaker)
        self._accounts = RiskAccountRepository(sessionmaker)
        self._kills = KillSwitchRepository(sessionmaker)

    async def publish(self, out: Outgoing) -> None:
        """Publish a stored decision and its order (pipelined: neither waits for the other's
        acknowledgement, and no reply inbox is made per message), then note it for the next
        batch out of the outbox."""
        sends = [Send(subjects.decisions(out.decision.user_id), out.decision)]
        if out.command is not None:
            sends.append(Send(subjects.order_commands(out.command.venue.value), out.command))
        await self._publisher.publish_batch(sends)
        self._marks.add(out.intent_id, out.status)

    async def on_intent(self, message: Any) -> None:
        started = time.perf_counter()
        proposal = read_intent(
            message.data,
            message.subject,
            venue=self._venue,
            listed=self._listing.symbols,
            received_at=self._clock(),
        )
        if isinstance(proposal, Refused):
            self._metrics.received(None)
            await self._refuse(message, proposal)
            return
        self._metrics.received(proposal.source)
        out = await self._decider.decide(proposal)
        self._metrics.decision_seconds.observe(time.perf_counter() - started)
        await self.publish(out)

    async def _refuse(self, message: Any, refused: Refused) -> None:
        details = {"intent_id": refused.intent_id, "reason": refused.reason}
        await self._audit.record(refused.user_id, ACTOR, "intent.refused", details)
        self._metrics.refused_invalid()
        if refused.user_id is not None and refused.intent_id is not None:
            denied = decision(
                refused.intent_id,
                str(refused.user_id),
                DecisionOutcome.DENIED,
                self._clock(),
                reason=refused.reason,
                check=VALIDATION,
                actor=ACTOR,
            )
            await self._publisher.publish(subjects.decisions(str(refused.user_id)), denied)
        raise Poison(refused.reason)

    async def on_approval(self, message: Any) -> None:
        try:
            approval = ApprovalGiven.model_validate_json(message.data)
        except ValidationError as e:
            raise Poison(f"invalid approval: {e.errors()[:3]}") from None
        if approval.user_id != subject_user(message.subject):
            raise Poison("approval for another user's proposal")
        out = await self._decider.answer(approval)
        if out is not None:
            await self.publish(out)

    async def on_mode(self, message: Any) -> None:
        try:
            request = TradingModeRequested.model_validate_json(message.data)
            user_id = uuid.UUID(request.user_id)
        except (ValidationError, ValueError) as e:
            raise Poison(f"invalid mode request: {e}") from None
        if request.user_id != subject_user(message.subject):
            raise Poison("mode change for another user")
        await self._accounts.set_mode(user_id, request.mode, request.actor, confirmed=request.confirm)

    async def on_kill(self, message: Any) -> None:
        """Make sure the flag is in Postgres (a kill published by NATS alone still holds after a
        restart), then void the pending proposals it covers."""
        try:
            event = KillSwitchEngaged.model_validate_json(message.data)
        except ValidationError:
            event = None
        if event is None:
            try:
                released = KillSwitchReleased.model_validate_json(message.data)
            except ValidationError as e:
                raise Poison(f"invalid kill-switch message: {e.errors()[:3]}") from None
            await self._kills.release(released.scope, _user(released.user_id), released.actor)
            return
        user_id = _user(event.user_id) if event.scope is KillScope.USER else None
        await self._kills.engage(event.scope, user_id, event.actor, event.reason)
        for out in await self._decider.kill(user_id, f"kill switch engaged: {event.reason}"):
            await self.publish(out)


def _user(user_id: str | None) -> uuid.UUID | None:
    if user_id is None:
        return None
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise Poison(f"user_id {user_id!r} is not a UUID") from None


__all__ = ["Handlers"]
