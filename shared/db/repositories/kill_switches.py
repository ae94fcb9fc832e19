"""Kill switches in Postgres: the flag every service checks before acting, NATS or no NATS.

A switch is one row per scope (the global one, and one per user), engaged and released in place,
so its state survives every restart and is released only by an explicit ``release``. Each call
is audited in the same transaction, repeated presses included (``changed`` tells them apart).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import NO_USER, KillSwitch
from shared.db.repositories.risk_audit import record
from shared.db.tenancy import service_session
from shared.domain.enums import KillScope

STOPPED_BY = "kill switch engaged: "
"""How an order a switch stopped is explained: this, then the switch's reason."""


@dataclass(frozen=True, slots=True)
class KillState:
    """A switch as read; when released, ``actor`` is who released it and ``engaged_at`` is None."""

    scope: KillScope
    user_id: uuid.UUID | None
    engaged: bool
    reason: str
    actor: str
    engaged_at: datetime | None

    @classmethod
    def of(cls, row: KillSwitch) -> KillState:
        actor = row.engaged_by if row.engaged else (row.released_by or row.engaged_by)
        return cls(
            scope=KillScope(row.scope),
            user_id=row.user_id,
            engaged=row.engaged,
            reason=row.reason or "",
            actor=actor or "",
            engaged_at=row.engaged_at if row.engaged else None,
        )


# Raw SQL: ON CONFLICT must name the expression index exactly, constant included.
_ENGAGE = text(
    f"""INSERT INTO kill_switches AS k (scope, user_id, engaged, reason, engaged_by, engaged_at)
    VALUES (:scope, :user_id, true, :reason, :actor, now())
    ON CONFLICT (scope, (coalesce(user_id, '{NO_USER}'::uuid))) DO UPDATE
    SET engaged = true, reason = excluded.reason, engaged_by = excluded.engaged_by,
        engaged_at = excluded.engaged_at, released_by = NULL, released_at = NULL, updated_at = now()
    WHERE NOT k.engaged
    RETURNING k.id"""
)


def _check(scope: KillScope, user_id: uuid.UUID | None, actor: str) -> None:
    if (scope is KillScope.GLOBAL) != (user_id is None):
        raise ValueError(f"a {scope.value} kill switch {'takes no' if user_id else 'needs a'} user id")
    if not actor.strip():
        raise ValueError("a kill switch needs an actor")


def _is(scope: KillScope, user_id: uuid.UUID | None) -> ColumnElement[bool]:
    same_user = KillSwitch.user_id.is_(None) if user_id is None else KillSwitch.user_id == user_id
    return (KillSwitch.scope == scope.value) & same_user


async def _state(session: AsyncSession, scope: KillScope, user_id: uuid.UUID | None) -> KillSwitch | None:
    return await session.scalar(select(KillSwitch).where(_is(scope, user_id)))


async def engaged_for(session: AsyncSession, user_id: uuid.UUID) -> KillState | None:
    """In ``session``'s transaction: the global switch if engaged, else the user's if engaged."""
    is_global = KillSwitch.scope == KillScope.GLOBAL.value
    row = await session.scalar(
        select(KillSwitch)
        .where(KillSwitch.engaged, is_global | (KillSwitch.user_id == user_id))
        .order_by(is_global.desc())
        .limit(1)
    )
    return None if row is None else KillState.of(row)


async def engaged_by_scope(session: AsyncSession) -> dict[KillScope, int]:
    """How many switches are engaged, per scope (scopes with none are absent)."""
    rows = await session.execute(
        select(KillSwitch.scope, func.count()).where(KillSwitch.engaged).group_by(KillSwitch.scope)
    )
    return {KillScope(scope): count for scope, count in rows.all()}


class KillSwitchRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def engage(self, scope: KillScope, user_id: uuid.UUID | None, actor: str, reason: str) -> KillState:
        """Engage (idempotent: an engaged switch keeps its first reason, actor and time)."""
        _check(scope, user_id, actor)
        async with service_session(self._sessionmaker) as session:
            params = {"scope": scope.value, "user_id": user_id, "reason": reason, "actor": actor}
            changed = (await session.execute(_ENGAGE, params)).first() is not None
            row = await _state(session, scope, user_id)
            assert row is not None
            await record(
                session, user_id, actor, "kill_switch.engage",
                {"scope": scope, "reason": reason, "changed": changed},
            )  # fmt: skip
            return KillState.of(row)

    async def release(self, scope: KillScope, user_id: uuid.UUID | None, actor: str) -> KillState:
        """Release (idempotent); the only way a switch ever goes off."""
        _check(scope, user_id, actor)
        async with service_session(self._sessionmaker) as session:
            released = await session.scalar(
                update(KillSwitch)
                .where(_is(scope, user_id), KillSwitch.engaged)
                .values(engaged=False, released_by=actor, released_at=text("now()"), updated_at=text("now()"))
                .returning(KillSwitch.id)
            )
            row = await _state(session, scope, user_id)
            changed = released is not None
            await record(session, user_id, actor, "kill_switch.release", {"scope": scope, "changed": changed})
            if row is None:
                return KillState(scope, user_id, engaged=False, reason="", actor=actor, engaged_at=None)
            return KillState.of(row)

    async def engaged_for(self, user_id: uuid.UUID) -> KillState | None:
        """The switch that stops ``user_id``: the global one if engaged, else the user's, else None."""
        async with service_session(self._sessionmaker) as session:
            return await engaged_for(session, user_id)

    async def engaged(self) -> list[KillState]:
        """Every engaged switch, the global one first, then by when they were engaged."""
        async with service_session(self._sessionmaker) as session:
            rows = await session.scalars(
                select(KillSwitch)
                .where(KillSwitch.engaged)
                .order_by((KillSwitch.scope == KillScope.GLOBAL.value).desc(), KillSwitch.engaged_at)
            )
            return [KillState.of(row) for row in rows]


__all__ = ["STOPPED_BY", "KillState", "KillSwitchRepository", "engaged_by_scope", "engaged_for"]
