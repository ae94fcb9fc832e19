"""The risk gate's own metrics: what came in, what was decided and why, and how fast.

Decisions are counted once, when stored (a redelivered intent gets its stored decision back and
is not counted again; the outbox republishing is not a decision). ``reason`` is the failed check
for a denial, ``invalid`` for an intent refused at validation (counted as ``rejected``: it never
reached a check), ``none`` otherwise. The two gauges, pending intents and engaged kill switches,
are read from PostgreSQL (``gauges``), so they are right for every replica and after a restart.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.risk_gate.checks import CHECK_NAMES
from shared.domain.enums import DecisionOutcome, IntentSource, KillScope

SOURCES = ("chat", "rule", "api", "other")
_SOURCE_OF = {IntentSource.PARSER: "chat", IntentSource.MODEL: "chat", IntentSource.RULE: "rule"}
"""Chat intents are the parser's or the model's; nothing publishes ``api`` intents yet."""
INVALID = "invalid"
NONE = "none"


class RiskMetrics:
    """Made per process from its registry (no module-level metrics); labelled series start at 0."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.intents = Counter(
            "risk_intents_total", "Intents received, by source (chat, rule, api, other)", ["source"],
            registry=registry,
        )  # fmt: skip
        self.decisions = Counter(
            "risk_decisions_total",
            "Decisions stored, by outcome and reason (the failed check for denied, invalid for "
            "intents refused at validation, none otherwise)",
            ["outcome", "reason"],
            registry=registry,
        )
        self.decision_seconds = Histogram(
            "risk_decision_seconds",
            "From an intent's arrival to its decision being stored",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=registry,
        )
        self.approval_latency = Histogram(
            "risk_approval_latency_seconds",
            "From a proposal's pending decision to a person's answer, by the outcome it led to",
            ["outcome"],
            buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800),
            registry=registry,
        )
        self.pending = Gauge(
            "risk_pending_intents", "Proposals waiting for a person's approval", registry=registry
        )
        self.loss_limit_hits = Counter(
            "risk_loss_limit_hits_total",
            "Users put in reduce-only because today's loss reached their daily loss limit",
            registry=registry,
        )
        self.kill_engaged = Gauge(
            "risk_kill_switch_engaged",
            "Kill switches engaged, by scope (global, user), as PostgreSQL says",
            ["scope"],
            registry=registry,
        )
        for source in SOURCES:
            self.intents.labels(source)
        for outcome in DecisionOutcome:
            if outcome is not DecisionOutcome.DENIED:
                self.decisions.labels(outcome.value, NONE)
        self.decisions.labels(DecisionOutcome.REJECTED.value, INVALID)
        for check in CHECK_NAMES:
            self.decisions.labels(DecisionOutcome.DENIED.value, check)
        for answered in (DecisionOutcome.APPROVED, DecisionOutcome.REJECTED):
            self.approval_latency.labels(answered.value)
        for scope in KillScope:
            self.kill_engaged.labels(scope.value)

    def received(self, source: IntentSource | None) -> None:
        """An intent arrived; ``None`` when it was refused before its source could be trusted."""
        self.intents.labels(_SOURCE_OF.get(source, "other") if source else "other").inc()

    def decided(self, outcome: DecisionOutcome, check: str | None) -> None:
        reason = (check or NONE) if outcome is DecisionOutcome.DENIED else NONE
        self.decisions.labels(outcome.value, reason).inc()

    def refused_invalid(self) -> None:
        self.decisions.labels(DecisionOutcome.REJECTED.value, INVALID).inc()


__all__ = ["SOURCES", "RiskMetrics"]
