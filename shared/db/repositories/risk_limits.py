"""Per-user risk limits: the defaults until a user changes one, every change audited old → new.

A row, once written, holds every field (not only the changed ones), so what a user's limits were
at any moment is the row plus the audit trail, whatever later releases do to the defaults.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import RiskLimitsRow
from shared.db.repositories.risk_audit import record
from shared.db.tenancy import service_session
from shared.domain.risk_limits import LIMIT_NAMES, Limits, apply_changes


def limits_of(row: Any) -> Limits:
    """From a row holding the limit columns (ORM entity or Core row); None: the defaults."""
    if row is None:
        return Limits()
    values: dict[str, Any] = {name: getattr(row, name) for name in LIMIT_NAMES}
    if values["allowed_symbols"] is not None:
        values["allowed_symbols"] = frozenset(values["allowed_symbols"])
    return Limits(**values)


def _columns_of(limits: Limits) -> dict[str, Any]:
    values = dataclasses.asdict(limits)
    if limits.allowed_symbols is not None:
        values["allowed_symbols"] = sorted(limits.allowed_symbols)
    return values


async def load(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> Limits:
    """The user's limits in ``session``'s transaction (the defaults when they never changed any)."""
    query = select(RiskLimitsRow).where(RiskLimitsRow.user_id == user_id)
    return limits_of(await session.scalar(query.with_for_update() if for_update else query))


class RiskLimitsRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def get(self, user_id: uuid.UUID) -> Limits:
        async with service_session(self._sessionmaker) as session:
            return await load(session, user_id)

    async def set(self, user_id: uuid.UUID, changes: Mapping[str, object], actor: str) -> Limits:
        """Validate and store ``changes`` (field name → value); raise ``InvalidLimit`` on any bad one.

        The row is locked first, so two concurrent changes apply one after the other and each
        audit entry's "old" is what the other left.
        """
        async with service_session(self._sessionmaker) as session:
            await session.execute(
                insert(RiskLimitsRow)
                .values(user_id=user_id, **_columns_of(Limits()))
                .on_conflict_do_nothing(index_elements=[RiskLimitsRow.user_id])
            )
            old = await load(session, user_id, for_update=True)
            new = apply_changes(old, changes)
            diff = {
                name: {"old": getattr(old, name), "new": getattr(new, name)}
                for name in sorted(changes)
                if getattr(old, name) != getattr(new, name)
            }
            if diff:
                await session.execute(
                    update(RiskLimitsRow)
                    .where(RiskLimitsRow.user_id == user_id)
                    .values(**_columns_of(new), updated_at=func.now())
                )
                await record(session, user_id, actor, "risk_limits.set", {"changes": diff})
            return new


__all__ = ["RiskLimitsRepository", "limits_of", "load"]
