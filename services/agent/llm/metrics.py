"""Prometheus counters of model calls: who answered, who failed over, and tokens spent."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class LlmMetrics:
    """``llm_requests_total{provider, outcome}`` with outcome answered, failed_over or rejected."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "llm_requests_total",
            "Model requests by provider and outcome (answered, failed_over, rejected)",
            ["provider", "outcome"],
            registry=registry,
        )
        self.tokens = Counter(
            "llm_tokens_total", "Tokens reported by providers' usage", ["provider"], registry=registry
        )
