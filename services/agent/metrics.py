"""The agent's metrics: the model's (``llm.metrics``), the chat's answers, the rules engine's work.

Made once per process (``AgentMetrics``) and handed to what it measures. The chat counts every
reply by who wrote it (``model`` or ``offline``) and every offline one by why (``no_model``,
``budget``, ``model_failed``, ``no_account``). The rules engine counts the rules it examined on
each tick (``price``) or closed candle (``indicator``), times each such evaluation, and counts the
firings it committed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.agent.llm.metrics import LlmMetrics

REPLY_SOURCES = ("model", "offline")
OFFLINE_REASONS = ("no_model", "budget", "model_failed", "no_account")
RULE_KINDS = ("price", "indicator")


class ChatMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.replies = Counter(
            "agent_chat_replies_total",
            "Chat requests answered, by who wrote the answer (model, offline)",
            ["source"],
            registry=registry,
        )
        self.offline_reasons = Counter(
            "agent_offline_reasons_total",
            "Offline answers by why the model did not answer (no_model, budget, model_failed, no_account)",
            ["reason"],
            registry=registry,
        )
        for source in REPLY_SOURCES:
            self.replies.labels(source)
        for reason in OFFLINE_REASONS:
            self.offline_reasons.labels(reason)


class RulesMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.evaluations = Counter(
            "rules_evaluations_total",
            "Rules examined, by what triggered it (price: a tick, indicator: a closed candle)",
            ["kind"],
            registry=registry,
        )
        self.firings = Counter(
            "rules_firings_total", "Rule firings committed (each publishes one intent)", registry=registry
        )
        self.evaluation_seconds = Histogram(
            "rules_evaluation_seconds",
            "Time the engine took over one tick (price) or one candle close (indicator)",
            ["kind"],
            buckets=(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05),
            registry=registry,
        )
        for kind in RULE_KINDS:
            self.evaluations.labels(kind)
            self.evaluation_seconds.labels(kind)

    def evaluated(self, kind: str, examined: int, seconds: float) -> None:
        self.evaluations.labels(kind).inc(examined)
        self.evaluation_seconds.labels(kind).observe(seconds)


class AgentMetrics:
    """Every metric of the agent, on the process's registry."""

    def __init__(self, registry: CollectorRegistry, providers: tuple[str, ...] = ()) -> None:
        self.llm = LlmMetrics(registry, providers)
        self.chat = ChatMetrics(registry)
        self.rules = RulesMetrics(registry)


__all__ = ["OFFLINE_REASONS", "REPLY_SOURCES", "RULE_KINDS", "AgentMetrics", "ChatMetrics", "RulesMetrics"]
