"""Rules as the repository returns them, built from parser phrasings or JSON definitions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.agent.parser import parse_command
from services.agent.parser.model import OrderCommand
from services.agent.rules.definition import CompiledRule, compile_rule
from shared.db.repositories.rules import RuleRecord, RuleStatus

USER = uuid.UUID(int=7)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def record(definition: dict[str, Any], *, fire_once: bool = True, fires: int = 0) -> RuleRecord:
    return RuleRecord(
        id=uuid.uuid4(), user_id=USER, venue="paper", symbol=str(definition["symbol"]),
        definition=definition, status=RuleStatus.ACTIVE, fire_once=fire_once, fires=fires,
        last_fired_at=None, last_intent_id=None, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def definition(text: str) -> dict[str, Any]:
    command = parse_command(text)
    assert isinstance(command, OrderCommand)
    return command.model_dump(mode="json")


def rule(text: str, **options: Any) -> CompiledRule:
    return compile_rule(record(definition(text), **options))
