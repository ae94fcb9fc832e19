"""The feed's own metrics: rates, lag, reconnects, gaps, bad data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class FeedMetrics:
    """Made per process from its registry (no module-level metrics)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.ticks = Counter(
            "feed_ticks_published_total", "Trade ticks published", ["symbol"], registry=registry
        )
        self.candles = Counter(
            "feed_candles_published_total",
            "Closed candles published",
            ["symbol", "interval", "source"],
            registry=registry,
        )
        self.event_lag = Histogram(
            "feed_event_lag_seconds",
            "Wall-clock time from the venue's trade timestamp to its publication",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.publish_latency = Histogram(
            "feed_publish_latency_seconds",
            "Time from receiving a batch from the venue to JetStream's acknowledgement",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
            registry=registry,
        )
        self.reconnects = Counter(
            "feed_reconnects_total",
            "WebSocket failures that led to a reconnect",
            ["symbol", "stream"],
            registry=registry,
        )
        self.mode = Gauge(
            "feed_streaming",
            "1 while the symbol's data comes over the WebSocket, 0 while polled over REST",
            ["symbol", "stream"],
            registry=registry,
        )
        self.stale = Counter(
            "feed_socket_stale_total",
            "Waits on a socket that brought nothing within the stale limit",
            ["symbol", "stream"],
            registry=registry,
        )
        self.polls = Counter(
            "feed_rest_polls_total",
            "REST polls made while a socket was down",
            ["symbol", "stream"],
            registry=registry,
        )
        self.trade_gaps = Counter(
            "feed_trade_gaps_total",
            "Holes in the trade-id sequence of the stream",
            ["symbol"],
            registry=registry,
        )
        self.trades_recovered = Counter(
            "feed_trades_recovered_total",
            "Trades fetched over REST to fill holes",
            ["symbol"],
            registry=registry,
        )
        self.trades_lost = Counter(
            "feed_trades_lost_total",
            "Trades missing from the stream and no longer on the venue",
            ["symbol"],
            registry=registry,
        )
        self.gaps = Counter(
            "feed_candle_gaps_total", "Gaps found in the candle stream", ["symbol"], registry=registry
        )
        self.bad_data = Counter(
            "feed_bad_venue_data_total",
            "Venue structures that could not become messages (dead-lettered)",
            ["kind"],
            registry=registry,
        )
        self.errors = Counter("feed_errors_total", "Venue or bus errors by kind", ["kind"], registry=registry)
