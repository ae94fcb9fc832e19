"""The risk audit trail: who changed which limit, mode, switch or rule, with old and new values.

``record`` writes inside the caller's transaction, so an audited change and its entry commit or
roll back together: there is never a change without its entry, nor an entry for a change that
did not happen. The table itself refuses updates and deletes (see migration 0004).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.risk import RiskAuditEntry
from shared.db.tenancy import service_session
from shared.messages.base import plain_decimal


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    user_id: uuid.UUID | None
    actor: str
    action: str
    details: Mapping[str, Any]
    created_at: datetime


def jsonable(value: Any) -> Any:
    """Return ``value`` as JSON: decimals as plain exact strings (never floats), sets sorted."""
    match value:
        case None | bool() | int() | str():
            return value
        case Decimal():
            return plain_decimal(value)
        case Enum():
            return jsonable(value.value)
        case uuid.UUID() | datetime() | date():
            return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        case Mapping():
            return {str(key): jsonable(item) for key, item in value.items()}
        case Set():
            return sorted(jsonable(item) for item in value)
        case list() | tuple():
            return [jsonable(item) for item in value]
    raise TypeError(f"cannot audit a {type(value).__name__}: {value!r}")


async def record(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    actor: str,
    action: str,
    details: Mapping[str, Any],
) -> int:
    """Append an entry in ``session``'s transaction (which must run as ``service_role``); return its id."""
    entry_id: int | None = await session.scalar(
        insert(RiskAuditEntry)
        .values(user_id=user_id, actor=actor, action=action, details=jsonable(details))
        .returning(RiskAuditEntry.id)
    )
    assert entry_id is not None
    return entry_id


class RiskAuditRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def record(
        self, user_id: uuid.UUID | None, actor: str, action: str, details: Mapping[str, Any]
    ) -> int:
        """Append an entry in a transaction of its own (for actions that change nothing else)."""
        async with service_session(self._sessionmaker) as session:
            return await record(session, user_id, actor, action, details)

    async def list_for(
        self, user_id: uuid.UUID | None, limit: int = 100, before: int | None = None
    ) -> list[AuditEntry]:
        """Newest first; ``user_id=None`` lists global entries, ``before`` is an entry id to page from.

        Paged by id rather than time: entries of one transaction share ``created_at``.
        """
        query = select(RiskAuditEntry).order_by(RiskAuditEntry.id.desc()).limit(limit)
        if user_id is None:
            query = query.where(RiskAuditEntry.user_id.is_(None))
        else:
            query = query.where(RiskAuditEntry.user_id == user_id)
        if before is not None:
            query = query.where(RiskAuditEntry.id < before)
        async with service_session(self._sessionmaker) as session:
            rows = await session.scalars(query)
            return [AuditEntry(r.id, r.user_id, r.actor, r.action, r.details, r.created_at) for r in rows]


__all__ = ["AuditEntry", "RiskAuditRepository", "jsonable", "record"]
