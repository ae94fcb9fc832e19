"""Take published decisions out of the outbox in batches, off the decision's path.

Marking each decision published in a transaction of its own cost a second transaction (four
round trips and a commit) per decision. Instead the handler notes what JetStream acknowledged and
this task marks everything noted since its last round in one ``UPDATE``. Nothing is lost if the
process dies first: the rows stay in the outbox, and the outbox loop publishes them again with
the same deterministic ``Nats-Msg-Id``, which JetStream drops as a duplicate.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.repositories import intents
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome

_log = logging.getLogger(__name__)
ROUND_S = 0.05
"""How long a round gathers marks: long enough to batch a busy gate, far under the outbox age."""
RETRY_S = 1.0
"""After a failed round (the database is away): wait this long rather than retry every round."""
MAX_KEPT = 100_000
"""Marks kept across failed rounds; beyond that they are dropped (the outbox loop republishes)."""


class PublishedMarks:
    """Marks noted by ``add``, written by ``run`` (a task) or ``flush``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, round_s: float = ROUND_S) -> None:
        self._sessionmaker = sessionmaker
        self._round_s = round_s
        self._noted: dict[tuple[str, DecisionOutcome], None] = {}
        self._wake = asyncio.Event()

    def add(self, intent_id: str, status: DecisionOutcome) -> None:
        """JetStream acknowledged the messages of ``status``: mark it in the next round."""
        self._noted[(intent_id, status)] = None
        self._wake.set()

    @property
    def waiting(self) -> int:
        return len(self._noted)

    async def run(self) -> None:
        """Until cancelled: wait for a mark, gather for a round, write them all."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._round_s)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("marking decisions published failed; retrying in %.0f s", RETRY_S)
                await asyncio.sleep(RETRY_S)

    async def flush(self) -> None:
        """Write every mark noted so far; on failure they are kept for the next round."""
        self._wake.clear()
        batch, self._noted = list(self._noted), {}
        if not batch:
            return
        try:
            async with service_session(self._sessionmaker) as session:
                await intents.mark_many_published(session, batch)
        except BaseException:
            if len(self._noted) + len(batch) <= MAX_KEPT:
                self._noted = dict.fromkeys(batch) | self._noted
                self._wake.set()
            raise


__all__ = ["PublishedMarks"]
