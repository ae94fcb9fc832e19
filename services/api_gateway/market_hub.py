"""Fan live market data out from NATS to WebSocket clients, each by the symbol it watches.

One core-NATS subscription per kind serves every client: a message is parsed and serialised once,
then offered to each client's bounded queue. A client too slow to keep up loses its oldest
pushes (counted), never the gateway's memory.

Trades are batched: a symbol's clients get one ``trades`` frame per flush interval, the trades in
it waiting at most that long (the first after a quiet spell not at all), since a frame per trade
per client (100 trades/s x 500 clients) is more sends than one Python process makes in time. A
candle first sends its symbol's batched trades, so trades and candles keep the order they arrived
in. A flush interval of 0 sends one ``trade`` frame per trade.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import TypeVar

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import ValidationError

from services.api_gateway.client_feed import ClientFeed
from services.api_gateway.schemas import batched_trade, candle_event, trade_event
from services.api_gateway.trade_batches import TradeBatches
from shared.messages import subjects
from shared.messages.base import Message
from shared.messages.market import Candle, TradeTick

_log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)


class HubMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.clients = Gauge("gateway_ws_clients", "Connected WebSocket clients", registry=registry)
        self.pushed = Counter(
            "gateway_ws_messages_total", "Messages queued to WebSocket clients", ["type"], registry=registry
        )
        self.dropped = Counter(
            "gateway_ws_dropped_total",
            "Pushes dropped because a client fell behind",
            registry=registry,
        )
        self.bad = Counter(
            "gateway_bad_bus_messages_total",
            "Market messages from NATS that failed validation",
            ["type"],
            registry=registry,
        )


class MarketHub:
    """Routes ``md.trade.*`` and ``md.candle.*`` of one venue to subscribed clients, a symbol's
    trades batched into one frame per ``flush_s`` seconds (``0``: one frame per trade)."""

    def __init__(self, venue: str, metrics: HubMetrics, flush_s: float = 0.0) -> None:
        if flush_s < 0:
            raise ValueError(f"expected a flush interval of 0 or more seconds, was {flush_s}")
        self._venue = venue
        self._metrics = metrics
        self._flush_s = flush_s
        self._by_symbol: dict[str, set[ClientFeed]] = defaultdict(set)
        self._subscriptions: list[Subscription] = []
        self._batches = TradeBatches()
        self._due = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def attach(self, nc: NatsClient) -> None:
        self._subscriptions = [
            await nc.subscribe(subjects.trades(self._venue, subjects.ANY), cb=self._on_trade),
            await nc.subscribe(subjects.candles(self._venue, subjects.ANY, subjects.ANY), cb=self._on_candle),
        ]
        if self._flush_s > 0:
            self._flusher = asyncio.create_task(self._flush_every(), name="market-hub-flush")

    async def detach(self) -> None:
        """Stop listening, then send what is still batched: a trade that arrived is never lost here."""
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        self._subscriptions.clear()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        self._flush_all()

    @property
    def pending_trades(self) -> int:
        """Trades batched and not yet sent."""
        return len(self._batches)

    @property
    def flushing(self) -> bool:
        """Whether the flush task runs (between ``attach`` and ``detach``, when batching)."""
        return self._flusher is not None and not self._flusher.done()

    def connect(self, _: ClientFeed) -> None:
        self._metrics.clients.inc()

    def disconnect(self, client: ClientFeed) -> None:
        self.watch(client, None, None)
        self._metrics.clients.dec()

    def watch(self, client: ClientFeed, symbol: str | None, interval: str | None) -> None:
        """Replace what ``client`` watches (``None`` watches nothing)."""
        if client.symbol is not None:
            self._by_symbol[client.symbol].discard(client)
        client.symbol, client.interval = symbol, interval
        if symbol is not None:
            self._by_symbol[symbol].add(client)

    async def _on_trade(self, msg: Msg) -> None:
        tick = self._parse(msg, TradeTick, "trade")
        if tick is None:
            return
        if self._flush_s == 0:
            self._fan_out(tick.symbol, None, json.dumps(trade_event(tick)), "trade")
        elif self._by_symbol.get(tick.symbol):  # nobody watching: nothing to batch
            self._batches.add(tick.symbol, batched_trade(tick))
            self._due.set()

    async def _on_candle(self, msg: Msg) -> None:
        candle = self._parse(msg, Candle, "candle")
        if candle is not None:
            frame = self._batches.take(candle.symbol)  # the trades that came before it go first
            if frame is not None:
                self._fan_out(candle.symbol, None, frame, "trades")
            self._fan_out(candle.symbol, candle.interval.value, json.dumps(candle_event(candle)), "candle")

    async def _flush_every(self) -> None:
        # Leading edge: a trade after a quiet spell goes out at once; then the hub rests one interval
        # and sends what came meanwhile. So a trade waits at most one interval, a symbol's clients
        # get at most one frame per interval, and an idle hub sleeps on the event, not a timer.
        while True:
            await self._due.wait()
            self._due.clear()
            self._flush_all()
            await asyncio.sleep(self._flush_s)

    def _flush_all(self) -> None:
        for symbol, frame in self._batches.take_all():
            self._fan_out(symbol, None, frame, "trades")

    def _parse(self, msg: Msg, model: type[M], kind: str) -> M | None:
        # The stream keeps the original; the gateway only observes, so a bad one is counted and skipped.
        try:
            return model.model_validate_json(msg.data)
        except ValidationError as e:
            self._metrics.bad.labels(kind).inc()
            _log.warning("invalid %s on %s: %s", kind, msg.subject, e.errors()[0]["msg"])
            return None

    def _fan_out(self, symbol: str, interval: str | None, event: str, kind: str) -> None:
        for client in self._by_symbol.get(symbol, ()):
            if interval is not None and client.interval != interval:
                continue
            if not client.offer(event):
                self._metrics.dropped.inc()
            self._metrics.pushed.labels(kind).inc()
