"""What a signed-in user reads of their own controls, as that user: rules, trading mode, limits,
kill switches and the audit trail; and the one control users change directly, their rules.

Every call runs in ``user_session`` with the user's claims, so row-level security decides what is
visible and what a rule change may touch. Mode, limits and kill switches are written elsewhere
(the risk gate, ``RiskLimitsRepository``, ``KillSwitchRepository``: ``service_role`` with audit).
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import KillSwitch, RiskAccountRow, RiskAuditEntry
from shared.db.models.rules import RuleRow
from shared.db.repositories import rules
from shared.db.repositories.kill_switches import KillState
from shared.db.repositories.risk_accounts import RiskAccount, account_of
from shared.db.repositories.risk_audit import AuditEntry
from shared.db.repositories.risk_limits import load
from shared.db.repositories.rules import RuleRecord, RuleStatus
from shared.db.tenancy import claims_for, user_session
from shared.domain.enums import KillScope
from shared.domain.risk_limits import Limits


@dataclass(frozen=True, slots=True)
class KillSwitches:
    """The two switches that can stop a user; None when that switch was never pressed."""

    user: KillState | None
    global_: KillState | None


class UserControlsRepository:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, max_live_rules: int | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._max_live_rules = max_live_rules

    # -- RULES -------------------------------------------------------------------------------------

    async def rules(self, user_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[RuleRecord]:
        """The user's rules that are not deleted, newest first."""
        query = (
            select(RuleRow)
            .where(RuleRow.status != RuleStatus.DELETED.value)
            .order_by(RuleRow.created_at.desc(), RuleRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        async with self._session(user_id) as session:
            return [RuleRecord.of(row) for row in await session.scalars(query)]

    async def create_rule(
        self, user_id: uuid.UUID, *, venue: str, symbol: str, definition: dict[str, Any], fire_once: bool
    ) -> RuleRecord:
        """Store an active rule as the user (the insert policy pins ``user_id`` to the caller); the
        caller has validated ``definition`` with the engine's ``check``. Raise ``TooManyRules``
        when the user holds the most live rules allowed already."""
        values = {"user_id": user_id, "venue": venue, "symbol": symbol, "definition": definition}
        async with self._session(user_id) as session:
            row = await rules.insert_rule(session, {**values, "fire_once": fire_once}, self._max_live_rules)
            return RuleRecord.of(row)

    async def rule(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRecord | None:
        """The user's rule, deleted ones included (their history stays readable)."""
        async with self._session(user_id) as session:
            row = await session.scalar(select(RuleRow).where(RuleRow.id == rule_id))
            return None if row is None else RuleRecord.of(row)

    async def move_rule(
        self, user_id: uuid.UUID, rule_id: uuid.UUID, to: RuleStatus
    ) -> tuple[bool, RuleRecord | None]:
        """Move the user's rule to ``to``: (moved, the rule afterwards); (False, None) when the user
        has no such rule, (False, rule) when its status does not allow the move."""
        async with self._session(user_id) as session:
            moved = await rules.move(session, rule_id, to)
            row = await session.scalar(
                select(RuleRow).where(RuleRow.id == rule_id).execution_options(populate_existing=True)
            )
            return moved, None if row is None else RuleRecord.of(row)

    # -- RISK SETTINGS -----------------------------------------------------------------------------

    async def account(self, user_id: uuid.UUID) -> RiskAccount:
        """Trading mode and reduce-only; a user the gate never saw is in manual mode."""
        async with self._session(user_id) as session:
            row = await session.scalar(select(RiskAccountRow))
            return RiskAccount(user_id) if row is None else account_of(row)

    async def limits(self, user_id: uuid.UUID) -> Limits:
        async with self._session(user_id) as session:
            return await load(session, user_id)

    async def kill_switches(self, user_id: uuid.UUID) -> KillSwitches:
        """The user's switch and the global one (every user may see that trading stopped for all)."""
        async with self._session(user_id) as session:
            rows = await session.scalars(select(KillSwitch))
            states = {(state.scope, state.user_id): state for state in map(KillState.of, rows)}
        return KillSwitches(
            user=states.get((KillScope.USER, user_id)), global_=states.get((KillScope.GLOBAL, None))
        )

    # -- AUDIT -------------------------------------------------------------------------------------

    async def audit(self, user_id: uuid.UUID, *, limit: int, offset: int = 0) -> list[AuditEntry]:
        """The user's audit entries, newest first (by id: entries of one transaction share a time)."""
        query = select(RiskAuditEntry).order_by(RiskAuditEntry.id.desc()).limit(limit).offset(offset)
        async with self._session(user_id) as session:
            return [
                AuditEntry(r.id, r.user_id, r.actor, r.action, r.details, r.created_at)
                for r in await session.scalars(query)
            ]

    def _session(self, user_id: uuid.UUID) -> AbstractAsyncContextManager[AsyncSession]:
        return user_session(self._sessionmaker, claims_for(user_id))


__all__ = ["KillSwitches", "UserControlsRepository"]
