"""Refresh tokens by family: issue, rotate once, and revoke a whole family; as ``service_role``.

Rotation locks the presented token's row, so two requests racing with one token cannot both
succeed: the second sees it revoked, which is exactly what a stolen-and-replayed token looks
like, and the family goes. A revocation is committed before the refusal is answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.accounts import RefreshToken
from shared.db.tenancy import service_session

RotationOutcome = Literal["rotated", "unknown", "expired", "reused"]


@dataclass(frozen=True, slots=True)
class Rotation:
    """What became of a presented token: ``user_id`` is set when it was known."""

    outcome: RotationOutcome
    user_id: uuid.UUID | None = None


class RefreshTokenRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def issue(
        self, user_id: uuid.UUID, digest: bytes, expires_at: datetime, *, family_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """Store a token's digest; return its family (a new one unless ``family_id`` is given)."""
        family = family_id or uuid.uuid4()
        async with service_session(self._sessionmaker) as session:
            session.add(
                RefreshToken(user_id=user_id, family_id=family, token_hash=digest, expires_at=expires_at)
            )
        return family

    async def rotate(self, digest: bytes, new_digest: bytes, expires_at: datetime) -> Rotation:
        """Use the token ``digest`` once: revoke it and store ``new_digest`` in its family.

        A token already revoked revokes its whole family (``reused``); an expired one is refused.
        """
        async with service_session(self._sessionmaker) as session:
            row = await session.scalar(
                select(RefreshToken).where(RefreshToken.token_hash == digest).with_for_update()
            )
            if row is None:
                return Rotation("unknown")
            if row.revoked_at is not None:
                await _revoke_family(session, row.family_id)
                return Rotation("reused", row.user_id)
            if row.expires_at <= datetime.now(UTC):
                return Rotation("expired", row.user_id)
            row.revoked_at = datetime.now(UTC)
            session.add(
                RefreshToken(
                    user_id=row.user_id, family_id=row.family_id, token_hash=new_digest, expires_at=expires_at
                )
            )
            return Rotation("rotated", row.user_id)

    async def revoke_family_of(self, digest: bytes) -> int:
        """Revoke every live token in the family of ``digest``; return how many (0: unknown token)."""
        async with service_session(self._sessionmaker) as session:
            family = await session.scalar(
                select(RefreshToken.family_id).where(RefreshToken.token_hash == digest)
            )
            return 0 if family is None else await _revoke_family(session, family)


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(RefreshToken.id)
    )
    return len(result.all())


__all__ = ["RefreshTokenRepository", "Rotation", "RotationOutcome"]
