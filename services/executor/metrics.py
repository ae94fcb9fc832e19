"""The executor's own metrics: what it sent, what it could not resolve, and why it held back.

Two gauges are the operator's alerts: ``executor_orders_outcome_unknown`` (orders sent whose fate
the venue has not told us yet) and ``executor_orders_lost`` (orders the venue has failed to find
``lost_order_max_not_found`` times in a row). Both are recounted from the database on every
reconciliation sweep, so they are right after a restart too.

The kill switch's three: ``executor_kill_switches_engaged`` (read from PostgreSQL every check),
``executor_kill_cancels_total`` (what passes ended, by result) and ``executor_kill_flat_seconds``
(from engagement to no open order left, for passes that had orders to end).

Order state changes are counted where they are published (``OrderEvents.publish``: every change
passes there, whether NATS is up or not), venue errors where ccxt's are translated
(``BinanceVenue._call``), drift where the reconciler repairs it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.executor.venues.errors import ERROR_CODES

ORDER_STATUSES = (
    "submitted",
    "new",
    "partially_filled",
    "filled",
    "pending_cancel",
    "canceled",
    "rejected",
    "expired",
)
"""``executor_order_events_total``'s statuses: ours, with ``accepted`` called ``new`` as the venue does."""
DRIFT_KINDS = ("status", "missing_fill", "unknown_order", "resent")


class ExecutorMetrics:
    """Made per process from its registry (no module-level metrics)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.commands = Counter(
            "executor_commands_total",
            "Order commands consumed, by kind and what became of them",
            ["kind", "result"],
            registry=registry,
        )
        self.sends = Counter(
            "executor_orders_sent_total",
            "New-order requests sent to the venue, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.send_latency = Histogram(
            "executor_venue_submit_seconds",
            "Round trip of a new-order request to the venue (including rate-gate waits)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=registry,
        )
        self.outcome_unknown = Gauge(
            "executor_orders_outcome_unknown",
            "Orders sent whose outcome the venue has not confirmed yet",
            registry=registry,
        )
        self.lost = Gauge(
            "executor_orders_lost",
            "Open orders the venue failed to find the configured number of times in a row",
            registry=registry,
        )
        self.key_refusals = Counter(
            "executor_key_refusals_total",
            "Requests the venue refused for the key itself (invalid, revoked, missing permission)",
            registry=registry,
        )
        self.sweeps = Counter(
            "executor_reconcile_sweeps_total",
            "Reconciliation sweeps, by result",
            ["result"],
            registry=registry,
        )
        self.sweep_seconds = Histogram(
            "executor_reconcile_seconds",
            "Duration of one reconciliation sweep",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.stream_stale = Gauge(
            "executor_user_stream_stale",
            "1 while any account's user stream is failing and REST polling stands in for it",
            registry=registry,
        )
        self.gate_closed = Gauge(
            "executor_rate_gate_closed_seconds",
            "Seconds until the venue's rate gate lets requests through again (0 when open)",
            registry=registry,
        )
        self.kill_engaged = Gauge(
            "executor_kill_switches_engaged",
            "Kill switches engaged, by scope, as PostgreSQL says",
            ["scope"],
            registry=registry,
        )
        self.kill_cancels = Counter(
            "executor_kill_cancels_total",
            "Orders kill-switch passes ended, by result (canceled, filled meanwhile, unsent: rejected "
            "before sending; unfinished when a pass reported), and cancel requests that failed",
            ["result"],
            registry=registry,
        )
        self.kill_flat_seconds = Histogram(
            "executor_kill_flat_seconds",
            "From a kill switch's engagement to no open order left at the venue",
            buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
            registry=registry,
        )
        self.order_events = Counter(
            "executor_order_events_total",
            "Order state changes stored, by the status reached (accepted by the venue: new)",
            ["status"],
            registry=registry,
        )
        self.round_trip = Histogram(
            "executor_order_round_trip_seconds",
            "From an order command's arrival to the venue's acknowledgement of the order",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.exchange_errors = Counter(
            "executor_exchange_errors_total",
            "Errors the venue answered, by Binance error code or HTTP status (429, 418, 5xx), or "
            "timeout, network, other",
            ["code"],
            registry=registry,
        )
        self.request_weight = Gauge(
            "executor_request_weight_used",
            "Request weight of the current minute the venue last reported (X-MBX-USED-WEIGHT-1M)",
            registry=registry,
        )
        self.drift = Counter(
            "executor_reconcile_drift_total",
            "Mismatches with the venue repaired: a status we had not seen, fills we had missed, a "
            "trade of an order we do not know, an unseen order sent again",
            ["kind"],
            registry=registry,
        )
        for status in ORDER_STATUSES:
            self.order_events.labels(status)
        for code in ERROR_CODES:
            self.exchange_errors.labels(code)
        for kind in DRIFT_KINDS:
            self.drift.labels(kind)

    def status_reached(self, status: str) -> None:
        self.order_events.labels("new" if status == "accepted" else status).inc()


__all__ = ["DRIFT_KINDS", "ORDER_STATUSES", "ExecutorMetrics"]
