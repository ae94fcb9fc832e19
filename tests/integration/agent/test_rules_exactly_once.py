"""The rules engine against real PostgreSQL and NATS: each firing commits once and publishes once,
restarts included; the kill switch and paused or deleted rules hold firings back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.agent.metrics import RulesMetrics
from services.agent.rules.definition import check, compile_rule
from services.agent.rules.intents import intent_for
from services.agent.rules.service import RulesService
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.disabled_rules import DisabledRuleRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.rules import FireOutcome, Firing, RuleRecord, RuleRepository, RuleStatus
from shared.db.repositories.users import UserRepository
from shared.domain.enums import KillScope
from shared.messages import subjects
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import TradeTick
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.support.databases import migrated_database
from tests.unit.agent.rules.support import definition

pytestmark = [pytest.mark.postgres, pytest.mark.nats]


@pytest.fixture(scope="module")
async def db_url(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server.url, "cp_rules")


@pytest.fixture
async def sessionmaker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def js(fresh_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(fresh_nats.url)
    stream = connection.jetstream()
    await ensure_streams(stream)
    yield stream
    await connection.close()


@pytest.fixture
async def user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return (await UserRepository(sessionmaker).create(f"r{uuid.uuid4().hex[:8]}@example.com", "R")).id


def service(
    sessionmaker: async_sessionmaker[AsyncSession],
    js: JetStreamContext,
    registry: CollectorRegistry | None = None,
) -> RulesService:
    metrics = RulesMetrics(registry or CollectorRegistry())
    return RulesService(
        RuleRepository(sessionmaker), CandleRepository(sessionmaker), JetStreamPublisher(js), venue="paper",
        metrics=metrics,
    )  # fmt: skip


async def create(sessionmaker: async_sessionmaker[AsyncSession], user: uuid.UUID, phrase: str) -> RuleRecord:
    command = check(definition(phrase))
    return await RuleRepository(sessionmaker).create(
        user, symbol=command.symbol, definition=command.model_dump(mode="json")
    )


async def tick(rules: RulesService, price: str, symbol: str = "BTC/USDT") -> None:
    trade = TradeTick(
        venue="paper", symbol=symbol, trade_id=uuid.uuid4().hex, price=Decimal(price),
        quantity=Decimal("0.1"), ts_event=datetime.now(UTC),
    )  # fmt: skip
    await rules.on_tick(trade)


async def published(js: JetStreamContext, user: uuid.UUID) -> list[TradeIntentCreated]:
    """Every intent stored in the TRADING stream for ``user``, in order."""
    info = await js.stream_info(subjects.TRADING.name)
    found = []
    for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        message: Any = await js.get_msg(subjects.TRADING.name, seq)
        if message.subject == subjects.intents(str(user)):
            found.append(TradeIntentCreated.from_json(message.data))
    return found


async def test_a_rule_fires_once_and_not_again_after_a_restart(
    sessionmaker: async_sessionmaker[AsyncSession], js: JetStreamContext, user: uuid.UUID
) -> None:
    dip = await create(sessionmaker, user, "buy 0.5 BTC if it dips below $30,000")
    registry = CollectorRegistry()
    first = service(sessionmaker, js, registry)
    await first.start()
    for price in ("30500", "29000", "31000", "28000"):
        await tick(first, price)
    assert registry.get_sample_value("rules_firings_total") == 1
    assert registry.get_sample_value("rules_evaluation_seconds_count", {"kind": "price"}) == 4  # every tick
    assert registry.get_sample_value("rules_evaluations_total", {"kind": "price"}) == 1  # the dip alone
    assert registry.get_sample_value("rules_evaluations_total", {"kind": "indicator"}) == 0

    again = service(sessionmaker, js)  # a restart against the same database and stream
    await again.start()
    for price in ("31000", "29000", "28000"):
        await tick(again, price)
    await again.reload()

    intents = await published(js, user)
    assert [i.intent_id for i in intents] == [f"rule-{dip.id}-1"] == first.fired
    assert again.fired == []
    assert (intents[0].rule_id, intents[0].quantity, intents[0].source) == (
        str(dip.id),
        Decimal("0.5"),
        "rule",
    )
    stored = await RuleRepository(sessionmaker).get(dip.id)
    assert stored is not None and (stored.status, stored.fires) == (RuleStatus.FIRED, 1)
    assert stored.last_intent_id == f"rule-{dip.id}-1"


async def test_a_firing_committed_before_a_crash_is_published_on_start_exactly_once(
    sessionmaker: async_sessionmaker[AsyncSession], js: JetStreamContext, user: uuid.UUID
) -> None:
    record = await create(sessionmaker, user, "buy 0.1 BTC if BTC is above 10")
    rule = compile_rule(record)
    intent = intent_for(rule, 1, datetime.now(UTC))
    firing = Firing(rule.id, user, 1, intent.intent_id, subjects.intents(str(user)), intent.model_dump_json())
    publisher = JetStreamPublisher(js)
    await publisher.publish(firing.subject, intent)  # the publish landed, the mark did not
    assert await RuleRepository(sessionmaker).fire(firing) is FireOutcome.FIRED
    # the same firing again (a second replica, a redelivered tick): refused by compare-and-set
    assert await RuleRepository(sessionmaker).fire(firing) is FireOutcome.STALE

    restarted = service(sessionmaker, js)
    await restarted.start()  # republishes the unmarked firing: JetStream drops the copy
    await tick(restarted, "20")
    assert await service(sessionmaker, js).republish() == 0

    assert [i.intent_id for i in await published(js, user)] == [intent.intent_id]
    assert restarted.fired == []


async def test_the_kill_switch_holds_firings_back_until_released(
    sessionmaker: async_sessionmaker[AsyncSession], js: JetStreamContext, user: uuid.UUID
) -> None:
    dip = await create(sessionmaker, user, "buy 0.5 BTC if it dips below $30,000")
    switches = KillSwitchRepository(sessionmaker)
    await switches.engage(KillScope.USER, user, "trader", "test")
    registry = CollectorRegistry()
    rules = service(sessionmaker, js, registry)
    await rules.start()
    await tick(rules, "31000")
    await tick(rules, "29000")
    await rules.reload()
    assert rules.fired == [] and await published(js, user) == []
    assert registry.get_sample_value("rules_firings_total") == 0  # held back is not fired

    await switches.release(KillScope.USER, user, "trader")
    await rules.reload()  # the level still holds: it fires now, once
    await rules.reload()
    assert [i.intent_id for i in await published(js, user)] == [f"rule-{dip.id}-1"]
    assert registry.get_sample_value("rules_firings_total") == 1


async def test_a_rule_the_gate_disabled_does_not_fire_until_re_enabled(
    sessionmaker: async_sessionmaker[AsyncSession], js: JetStreamContext, user: uuid.UUID
) -> None:
    dip = await create(sessionmaker, user, "buy 0.5 BTC if it dips below $30,000")
    disabled = DisabledRuleRepository(sessionmaker)
    await disabled.disable(user, str(dip.id), "risk_gate", "too many executions")
    rules = service(sessionmaker, js)
    await rules.start()
    await tick(rules, "29000")
    assert rules.fired == []
    await disabled.enable(user, str(dip.id), "trader")
    await rules.reload()
    assert rules.fired == [f"rule-{dip.id}-1"]


async def test_paused_and_deleted_rules_do_not_fire_and_a_resumed_one_does(
    sessionmaker: async_sessionmaker[AsyncSession], js: JetStreamContext, user: uuid.UUID
) -> None:
    repository = RuleRepository(sessionmaker)
    paused = await create(sessionmaker, user, "buy 0.5 BTC if it dips below $30,000")
    deleted = await create(sessionmaker, user, "buy 0.2 BTC if it dips below $30,000")
    rules = service(sessionmaker, js)
    await rules.start()
    await tick(rules, "31000")
    assert await repository.pause(user, paused.id) and await repository.delete(user, deleted.id)
    assert not await repository.pause(uuid.uuid4(), deleted.id)  # not the caller's rule
    await rules.reload()
    await tick(rules, "29000")
    assert rules.fired == []

    assert await repository.resume(user, paused.id)
    assert not await repository.resume(user, deleted.id)  # deleted is final
    await rules.reload()
    assert rules.fired == [f"rule-{paused.id}-1"]
    assert [r.id for r in await repository.list(user)] == [paused.id]
