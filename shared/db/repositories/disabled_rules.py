"""Rules the gate (or a person) stopped: one current row per rule, history kept, changes audited.

The gate disables a rule that exceeds its executions per window; only an explicit ``enable``
lets it trade again. A partial unique index keeps one current row per rule, so disabling twice
(two replicas at once, say) is a no-op rather than a second row.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import DisabledRule
from shared.db.repositories.risk_audit import record
from shared.db.tenancy import service_session


@dataclass(frozen=True, slots=True)
class DisabledRuleRecord:
    rule_id: str
    disabled_at: datetime
    reason: str


async def disable(session: AsyncSession, user_id: uuid.UUID, rule_id: str, actor: str, reason: str) -> bool:
    """In ``session``'s transaction; False when the rule was already disabled (nothing audited)."""
    inserted = await session.scalar(
        insert(DisabledRule)
        .values(user_id=user_id, rule_id=rule_id, reason=reason)
        .on_conflict_do_nothing(
            index_elements=[DisabledRule.user_id, DisabledRule.rule_id],
            index_where=text("re_enabled_at IS NULL"),
        )
        .returning(DisabledRule.id)
    )
    if inserted is not None:
        await record(session, user_id, actor, "rule.disable", {"rule_id": rule_id, "reason": reason})
    return inserted is not None


async def enable(session: AsyncSession, user_id: uuid.UUID, rule_id: str, actor: str) -> bool:
    """In ``session``'s transaction; False when the rule was not disabled (nothing audited)."""
    current = (DisabledRule.user_id == user_id) & (DisabledRule.rule_id == rule_id)
    enabled = await session.scalar(
        update(DisabledRule)
        .where(current, DisabledRule.re_enabled_at.is_(None))
        .values(re_enabled_at=func.now())
        .returning(DisabledRule.id)
        .execution_options(synchronize_session=False)
    )
    if enabled is not None:
        await record(session, user_id, actor, "rule.enable", {"rule_id": rule_id})
    return enabled is not None


async def disabled(session: AsyncSession, user_id: uuid.UUID) -> list[DisabledRuleRecord]:
    """The user's currently disabled rules, oldest first."""
    rows = await session.execute(
        select(DisabledRule.rule_id, DisabledRule.disabled_at, DisabledRule.reason)
        .where(DisabledRule.user_id == user_id, DisabledRule.re_enabled_at.is_(None))
        .order_by(DisabledRule.disabled_at, DisabledRule.rule_id)
    )
    return [DisabledRuleRecord(*row) for row in rows]


class DisabledRuleRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def disable(self, user_id: uuid.UUID, rule_id: str, actor: str, reason: str) -> bool:
        async with service_session(self._sessionmaker) as session:
            return await disable(session, user_id, rule_id, actor, reason)

    async def enable(self, user_id: uuid.UUID, rule_id: str, actor: str) -> bool:
        async with service_session(self._sessionmaker) as session:
            return await enable(session, user_id, rule_id, actor)

    async def list(self, user_id: uuid.UUID) -> builtins.list[DisabledRuleRecord]:
        async with service_session(self._sessionmaker) as session:
            return await disabled(session, user_id)


__all__ = ["DisabledRuleRecord", "DisabledRuleRepository", "disable", "disabled", "enable"]
