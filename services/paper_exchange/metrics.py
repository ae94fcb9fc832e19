"""The paper exchange's Prometheus metrics, registered on the app's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class PaperMetrics:
    """Counters and gauges an operator (or a benchmark) reads from ``/metrics``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.rest_requests = Counter(
            "paper_rest_requests",
            "REST requests answered, by path and HTTP status.",
            ["path", "status"],
            registry=registry,
        )
        self.ws_connections = Gauge(
            "paper_ws_connections", "Open WebSocket stream connections.", registry=registry
        )
        self.ws_frames = Counter(
            "paper_ws_frames_queued", "Stream frames queued to WebSocket clients.", registry=registry
        )
        self.trades = Counter(
            "paper_trades", "Simulated trades printed, by symbol.", ["symbol"], registry=registry
        )
        self.step_seconds = Histogram(
            "paper_step_seconds",
            "Wall-clock time of one simulator step (simulate, serialise, fan out).",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=registry,
        )
        self.lag_seconds = Gauge(
            "paper_sim_lag_seconds",
            "Simulated seconds the market is behind the simulated clock (>0: cannot keep up).",
            registry=registry,
        )
