"""The copilot's token usage per user and UTC day, written by the agent as ``service_role``.

Spending is one upsert that adds in the database (``tokens = tokens + excluded.tokens``), so
concurrent spends from any number of agent replicas sum exactly: no read-modify-write, no lost
update. Users read their own rows through RLS (``agent_token_usage_select_own``).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.agent import AgentTokenUsage
from shared.db.tenancy import service_session


def _check_tokens(tokens: int) -> None:
    if tokens < 0:
        raise ValueError(f"expected tokens >= 0, was {tokens}")


class TokenUsageRepository:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def spend(self, user_id: uuid.UUID, day: date, tokens: int) -> int:
        """Add ``tokens`` to the user's usage of ``day`` and return the day's new total."""
        _check_tokens(tokens)
        statement = insert(AgentTokenUsage).values(user_id=user_id, day=day, tokens=tokens)
        statement = statement.on_conflict_do_update(
            index_elements=[AgentTokenUsage.user_id, AgentTokenUsage.day],
            set_={
                "tokens": AgentTokenUsage.tokens + statement.excluded.tokens,
                "updated_at": func.now(),
            },
        )
        async with service_session(self._sessionmaker) as session:
            total = (await session.execute(statement.returning(AgentTokenUsage.tokens))).scalar_one()
        return int(total)

    async def spent(self, user_id: uuid.UUID, day: date) -> int:
        """The tokens the user spent on ``day``; 0 when nothing was spent."""
        async with service_session(self._sessionmaker) as session:
            tokens = await session.scalar(
                select(AgentTokenUsage.tokens).where(
                    AgentTokenUsage.user_id == user_id, AgentTokenUsage.day == day
                )
            )
        return tokens or 0


__all__ = ["TokenUsageRepository"]
