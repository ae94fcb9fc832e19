"""The gate's gauges, read from PostgreSQL: pending proposals and engaged kill switches.

Counted in the database rather than in memory so every replica reports the same, whole numbers
(the expiry sweep skips rows another replica holds) and a restart starts from the truth.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.risk_gate.metrics import RiskMetrics
from shared.db.repositories import intents, kill_switches
from shared.db.tenancy import service_session
from shared.domain.enums import KillScope


async def refresh_gauges(sessionmaker: async_sessionmaker[AsyncSession], metrics: RiskMetrics) -> None:
    async with service_session(sessionmaker) as session:
        pending = await intents.count_pending(session)
        engaged = await kill_switches.engaged_by_scope(session)
    metrics.pending.set(pending)
    for scope in KillScope:
        metrics.kill_engaged.labels(scope.value).set(engaged.get(scope, 0))


__all__ = ["refresh_gauges"]
