"""The running exchange: its markets, clock, stream hub, faults and metrics, and the step loop."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from services.paper_exchange.clock import SimClock, minute_floor, wall_ms
from services.paper_exchange.engine import Engine
from services.paper_exchange.faults import FaultRegistry
from services.paper_exchange.hub import GOING_AWAY, Hub
from services.paper_exchange.markets import SymbolSpec, spec_for
from services.paper_exchange.metrics import PaperMetrics
from services.paper_exchange.prices.replay import read_candles
from services.paper_exchange.prices.source import CandleSource
from services.paper_exchange.publisher import step_events
from services.paper_exchange.simulator import Happening, SymbolMarket, Trade
from services.paper_exchange.store import Store
from services.paper_exchange.user_hub import UserStreams
from services.paper_exchange.weights import OrderCounter, WeightMeter
from shared.config.settings import PaperExchangeSettings

log = logging.getLogger(__name__)

STEP_BUDGET = 50_000
"""Most trades one symbol releases per step, so one step never blocks the loop for long."""


def listed_specs(settings: PaperExchangeSettings) -> dict[str, SymbolSpec]:
    """The listed symbols in settings order (Binance form → spec), duplicates dropped."""
    specs: dict[str, SymbolSpec] = {}
    for symbol in settings.paper_symbols:
        spec = spec_for(symbol)
        specs.setdefault(spec.symbol, spec)
    if not specs:
        raise ValueError("paper_symbols lists no symbol")
    return specs


@dataclass
class PaperExchange:
    settings: PaperExchangeSettings
    specs: dict[str, SymbolSpec]
    markets: dict[str, SymbolMarket]
    clock: SimClock
    hub: Hub
    faults: FaultRegistry
    metrics: PaperMetrics
    weights: WeightMeter
    engine: Engine
    users: UserStreams
    order_counter: OrderCounter
    hidden_until: dict[int, int] = field(default_factory=dict)  # order id → wall ms (fault)
    steps: int = field(default=0)
    _subscriptions: int = field(default=0)

    @classmethod
    def build(
        cls,
        settings: PaperExchangeSettings,
        hub: Hub,
        faults: FaultRegistry,
        metrics: PaperMetrics,
        users: UserStreams,
    ) -> PaperExchange:
        """Read the replay file (if any), lay out every market's history and open the trading
        state store; blocking I/O."""
        specs = listed_specs(settings)
        replay = []
        if settings.paper_candles_file is not None:
            replay = [candle for _, candle in read_candles(settings.paper_candles_file)]
            if len(replay) <= settings.paper_history_candles:
                log.warning(
                    "the replay file's %d candles are all history (paper_history_candles=%d); "
                    "live prices will be a random walk",
                    len(replay),
                    settings.paper_history_candles,
                )
        now = wall_ms()
        live_start = minute_floor(now)
        markets = {}
        for index, spec in enumerate(specs.values()):
            source = CandleSource(spec, settings.paper_seed, replay if index == 0 else ())
            markets[spec.symbol] = SymbolMarket(
                spec,
                source,
                seed=settings.paper_seed,
                trades_per_candle=settings.paper_trades_per_candle,
                history_candles=settings.paper_history_candles,
                live_start_ms=live_start,
                book_levels=settings.paper_book_levels,
                max_candles=settings.paper_max_candles,
            )
        clock = SimClock(settings.paper_speed, start_ms=now)
        weights = WeightMeter(settings.paper_weight_limit_1m)
        engine = Engine(settings, markets, Store(settings.paper_state_dir), users.publish)
        counter = OrderCounter(settings.paper_orders_limit_10s, settings.paper_orders_limit_1d)
        return cls(settings, specs, markets, clock, hub, faults, metrics, weights, engine, users, counter)

    def next_subscription_id(self) -> int:
        self._subscriptions += 1
        return self._subscriptions - 1

    def _match(self, market: SymbolMarket, happenings: list[Happening]) -> None:
        """Let resting orders meet the trades just printed; free when the symbol has none."""
        if self.engine.open.get(market.spec.symbol):
            self.engine.on_trades(market.spec.symbol, [h for h in happenings if isinstance(h, Trade)])

    def step(self) -> int:
        """Advance every market to the clock and queue the events; return frames queued."""
        started = time.perf_counter()
        now = self.clock.now_ms()
        markets = list(self.markets.values())
        counts = {m.spec.symbol: m.next_trade_id for m in markets}
        events = step_events(markets, now, STEP_BUDGET, self.hub.demand, self._match)
        queued = self.hub.publish(events)
        for market in markets:
            printed = market.next_trade_id - counts[market.spec.symbol]
            if printed:
                self.metrics.trades.labels(market.spec.symbol).inc(printed)
        self.metrics.ws_frames.inc(queued)
        self.metrics.lag_seconds.set(max(0, now - min(m.now_ms for m in markets)) / 1000)
        self.metrics.step_seconds.observe(time.perf_counter() - started)
        self.steps += 1
        return queued

    def inject_trade(self, symbol: str, price: Decimal, quantity: Decimal) -> Trade:
        """Print one trade on ``symbol`` now and step at once, so that when this returns it has met
        the resting orders (fills stored, executionReports sent) and gone out on the trade streams
        through the same path as every simulated trade."""
        market = self.markets[symbol]
        self.step()  # catch up with the clock first: the trade prints after everything already due
        trade = market.inject(price, quantity)
        self.metrics.trades.labels(symbol).inc()  # printed before the step, which counts by trade id
        self.step()
        return trade

    async def run(self) -> None:
        """Step every ``paper_tick_ms`` until cancelled; a late step is not made up twice."""
        loop = asyncio.get_running_loop()
        period = self.settings.paper_tick_ms / 1000
        deadline = loop.time()
        try:
            while True:
                self.step()
                deadline += period
                delay = deadline - loop.time()
                if delay < 0:
                    deadline, delay = loop.time(), 0
                await asyncio.sleep(delay)
        finally:
            self.hub.close_all(GOING_AWAY, "server shutting down")

    def last_trades(self, symbol: str) -> list[Trade]:
        return list(self.markets[symbol].recent)
