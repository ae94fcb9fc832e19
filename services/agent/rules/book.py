"""The one path by which the copilot (model tools and offline chat alike) creates and manages rules.

A rule is validated by the engine's own ``check`` before it is stored, so nothing is accepted
that the engine would refuse on load; its markets must be ones the copilot trades. Every other
operation names the user, and a rule of someone else is "no such rule", exactly like an id
that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Collection
from typing import Any, Protocol

from services.agent.parser.model import OrderCommand
from services.agent.rules.definition import check, check_markets
from shared.db.repositories.rules import RuleRecord, RuleStatus


class RuleStore(Protocol):
    """What the book needs of ``shared.db.repositories.rules.RuleRepository``."""

    async def create(
        self,
        user_id: uuid.UUID,
        *,
        symbol: str,
        definition: dict[str, Any],
        venue: str = ...,
        fire_once: bool = ...,
    ) -> RuleRecord: ...

    async def get(self, rule_id: uuid.UUID) -> RuleRecord | None: ...

    async def list(self, user_id: uuid.UUID) -> builtins.list[RuleRecord]: ...

    async def pause(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool: ...

    async def resume(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool: ...

    async def delete(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> bool: ...


class NoSuchRule(LookupError):
    """Unknown, deleted, or another user's: the same answer for all three."""

    def __init__(self) -> None:
        super().__init__("no such rule")


class RuleNotMovable(ValueError):
    """A move the rule's status does not allow (pausing a fired rule, resuming an active one)."""


class RuleBook:
    """Standing rules of users on one venue, over a ``RuleStore``."""

    def __init__(self, store: RuleStore, symbols: Collection[str], venue: str) -> None:
        self._store = store
        self.symbols = frozenset(symbols)
        self.venue = venue

    async def create(self, user_id: uuid.UUID, command: OrderCommand) -> RuleRecord:
        """Validate ``command`` as the engine will, then store it as an active, fire-once rule.

        Raise ``RuleDefinitionError`` saying why a command cannot be a rule, ``TooManyRules`` when
        the user holds the most live rules allowed.
        """
        checked = check(command.model_dump(mode="json"))
        check_markets(checked, self.symbols)
        return await self._store.create(
            user_id, symbol=checked.symbol, definition=checked.model_dump(mode="json"), venue=self.venue
        )

    async def list(self, user_id: uuid.UUID) -> builtins.list[RuleRecord]:
        """The user's rules on this venue that are not deleted, oldest first."""
        return [r for r in await self._store.list(user_id) if r.venue == self.venue]

    async def owned(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRecord:
        """The user's rule ``rule_id`` here; ``NoSuchRule`` for another's, a deleted or unknown one."""
        record = await self._store.get(rule_id)
        mine = record is not None and record.user_id == user_id and record.venue == self.venue
        if record is None or not mine or record.status is RuleStatus.DELETED:
            raise NoSuchRule()
        return record

    async def pause(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRecord:
        return await self._move(user_id, rule_id, RuleStatus.PAUSED)

    async def resume(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRecord:
        return await self._move(user_id, rule_id, RuleStatus.ACTIVE)

    async def delete(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> RuleRecord:
        return await self._move(user_id, rule_id, RuleStatus.DELETED)

    async def _move(self, user_id: uuid.UUID, rule_id: uuid.UUID, to: RuleStatus) -> RuleRecord:
        record = await self.owned(user_id, rule_id)
        move = {RuleStatus.PAUSED: self._store.pause, RuleStatus.ACTIVE: self._store.resume}
        moved = await move.get(to, self._store.delete)(user_id, rule_id)
        if not moved:
            after = await self.owned(user_id, rule_id)
            raise RuleNotMovable(f"the rule is {after.status}: it cannot be made {to}")
        return await self._store.get(rule_id) or record


__all__ = ["NoSuchRule", "RuleBook", "RuleNotMovable", "RuleStore"]
