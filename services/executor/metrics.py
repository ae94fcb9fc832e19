"""The executor's own metrics: what it sent, what it could not resolve, and why it held back.

Two gauges are the operator's alerts: ``executor_orders_outcome_unknown`` (orders sent whose fate
the venue has not told us yet) and ``executor_orders_lost`` (orders the venue has failed to find
``lost_order_max_not_found`` times in a row). Both are recounted from the database on every
reconciliation sweep, so they are right after a restart too.

The kill switch's three: ``executor_kill_switches_engaged`` (read from PostgreSQL every check),
``executor_kill_cancels_total`` (what passes ended, by result) and ``executor_kill_flat_seconds``
(from engagement to no open order left, for passes that had orders to end).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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


__all__ = ["ExecutorMetrics"]
