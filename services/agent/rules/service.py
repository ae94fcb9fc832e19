"""The rules engine wired to PostgreSQL and JetStream: load, fire exactly once, publish, reload.

Firing is commit-then-publish. One transaction moves the rule from the ``fires`` count the engine
saw to the next and stores the intent (``rule_firings``, the outbox); only then is the intent
published, with ``Nats-Msg-Id`` = its deterministic id, and marked published. A crash between
commit and publish leaves the row unpublished, and ``republish`` (at start and periodically)
sends the same bytes again, which JetStream drops if the first copy had landed. A crash before
the commit leaves the rule active: nothing was promised yet.

A firing the kill switch or the gate's rule throttle stopped is not lost: the rule stays active
and is checked again on every ``reload`` round, so a level still holding fires once released.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from services.agent.indicators.candles import candle_arrays
from services.agent.indicators.incremental import Bar
from services.agent.metrics import RulesMetrics
from services.agent.rules.conditions import RuleDefinitionError, market_key
from services.agent.rules.definition import CompiledRule, compile_rule
from services.agent.rules.engine import RuleEngine
from services.agent.rules.intents import intent_for
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.rules import FireOutcome, Firing, RuleRecord, RuleRepository, RuleStatus
from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import Candle, TradeTick
from shared.messaging.publisher import JetStreamPublisher

_log = logging.getLogger(__name__)

RELOAD_OVERLAP = timedelta(seconds=5)
"""Changes are read from a little before the last look: a transaction that committed late with
an earlier ``now()`` is still seen (re-reading a change is harmless)."""


def bar_of(candle: Candle) -> Bar:
    arrays = candle_arrays([candle])
    return arrays.bar(0)


class RulesService:
    def __init__(
        self,
        rules: RuleRepository,
        candles: CandleRepository,
        publisher: JetStreamPublisher,
        *,
        venue: str,
        metrics: RulesMetrics,
        engine: RuleEngine | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine or RuleEngine()
        self._metrics = metrics
        self.venue = venue
        self.fired: list[str] = []
        """Intent ids this process committed, in order (for metrics and tests)."""
        self._rules = rules
        self._candles = candles
        self._publisher = publisher
        self._clock = clock
        self._seen: dict[UUID, datetime] = {}
        self._watermark: datetime | None = None
        self._blocked: set[UUID] = set()

    async def start(self) -> None:
        """Publish what a crash left in the outbox, then load every active rule and warm its charts."""
        await self.republish()
        self._watermark = self._clock()
        await self._take(await self._rules.active(self.venue))

    async def reload(self) -> None:
        """Take the rules changed since the last look; retry the firings that were blocked."""
        since = (self._watermark or self._clock()) - RELOAD_OVERLAP
        self._watermark = self._clock()
        await self._take(await self._rules.changed_since(self.venue, since))
        blocked, self._blocked = self._blocked, set()
        await self._fire_all(self.engine.holding(blocked))

    async def on_tick(self, tick: TradeTick, *, evaluate: bool = True) -> None:
        started = time.perf_counter()
        rules = self.engine.on_tick(market_key(tick.venue, tick.symbol), tick.price, evaluate=evaluate)
        if evaluate:
            self._metrics.evaluated("price", self.engine.examined, time.perf_counter() - started)
        await self._fire_all(rules)

    async def on_candle(self, candle: Candle, *, evaluate: bool = True) -> None:
        if not candle.closed:
            return
        market = market_key(candle.venue, candle.symbol)
        started = time.perf_counter()
        rules = self.engine.on_candle(market, candle.interval, bar_of(candle), evaluate=evaluate)
        if evaluate:
            self._metrics.evaluated("indicator", self.engine.examined, time.perf_counter() - started)
        await self._fire_all(rules)

    async def republish(self) -> int:
        """Publish every committed, unacknowledged firing of this venue again (same id, same bytes)."""
        pending = await self._rules.unpublished(self.venue)
        done: list[str] = []
        for item in pending:
            await self._publisher.publish(item.subject, TradeIntentCreated.from_json(item.message))
            done.append(item.intent_id)
        await self._rules.mark_published(done)
        return len(done)

    # -- INTERNALS -----------------------------------------------------------------------------

    async def _take(self, records: list[RuleRecord]) -> None:
        found: list[CompiledRule] = []
        for record in records:
            if self._seen.get(record.id) == record.updated_at:
                continue
            self._seen[record.id] = record.updated_at
            if record.status is not RuleStatus.ACTIVE:
                self.engine.remove(record.id)
                continue
            try:
                rule = compile_rule(record)
            except RuleDefinitionError as error:
                _log.warning("rule refused", extra={"rule_id": str(record.id), "reason": str(error)})
                self.engine.remove(record.id)
                continue
            found.extend(self.engine.add(rule))
        for market, interval in self.engine.cold_charts():
            venue, _, symbol = market.partition(":")
            history = await self._candles.recent(venue, symbol, interval, limit=1000)
            found.extend(self.engine.warm(market, interval, (bar_of(c) for c in history)))
        await self._fire_all(found)

    async def _fire_all(self, rules: list[CompiledRule]) -> None:
        for rule in rules:
            try:
                await self._fire(rule)
            except Exception:
                self.engine.settled(rule.id)
                self._blocked.add(rule.id)
                _log.exception("firing failed; retried on the next reload", extra={"rule_id": str(rule.id)})

    async def _fire(self, rule: CompiledRule) -> None:
        seq = rule.fires + 1
        intent = intent_for(rule, seq, self._clock())
        subject = subjects.intents(intent.user_id)
        firing = Firing(rule.id, rule.user_id, seq, intent.intent_id, subject, intent.model_dump_json())
        outcome = await self._rules.fire(firing)
        if outcome is FireOutcome.FIRED:
            self.engine.fired(rule.id, seq)
            self.fired.append(intent.intent_id)
            self._metrics.firings.inc()
            await self._publish(subject, intent)
        elif outcome is FireOutcome.STALE:
            self.engine.remove(rule.id)  # changed under us; the next reload brings it back if active
            self._seen.pop(rule.id, None)
        else:
            self.engine.settled(rule.id)
            self._blocked.add(rule.id)
            _log.info("rule held back", extra={"rule_id": str(rule.id), "outcome": outcome.value})

    async def _publish(self, subject: str, intent: TradeIntentCreated) -> None:
        try:
            await self._publisher.publish(subject, intent)
            await self._rules.mark_published([intent.intent_id])
        except Exception:
            _log.exception("intent stored but not published; the outbox sends it again")


def is_stale(moment: datetime, now: datetime, max_age: timedelta) -> bool:
    """Market data older than ``max_age`` (a replay after downtime) moves prices but fires nothing:
    a rule must not trade on a price the market left hours ago."""
    return now - moment > max_age


__all__ = ["RulesService", "bar_of", "is_stale"]
