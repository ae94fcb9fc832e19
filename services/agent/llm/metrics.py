"""Prometheus metrics of model calls: who answered, who failed over and why, how long, tokens spent.

``llm_fallbacks_total`` counts the same failures as ``llm_requests_total{outcome="failed_over"}``;
both are kept, the first because dashboards and alerts were agreed on it. ``llm_errors_total``
counts every failed call, by kind: ``timeout``, ``connection``, ``rate_limited`` (429), ``server``
(5xx), ``client`` (any other refusal, which is not fallen back from).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

ERROR_KINDS = ("timeout", "connection", "rate_limited", "server", "client")


class LlmMetrics:
    """``llm_requests_total{provider, outcome}`` with outcome answered, failed_over or rejected,
    and the rest of the ``llm_*`` family; ``providers`` get their series at zero from the start."""

    def __init__(self, registry: CollectorRegistry, providers: tuple[str, ...] = ()) -> None:
        self.requests = Counter(
            "llm_requests_total",
            "Model requests by provider and outcome (answered, failed_over, rejected)",
            ["provider", "outcome"],
            registry=registry,
        )
        self.tokens = Counter(
            "llm_tokens_total", "Tokens reported by providers' usage", ["provider"], registry=registry
        )
        self.request_seconds = Histogram(
            "llm_request_seconds",
            "Duration of one model call, answered or failed, by provider",
            ["provider"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
            registry=registry,
        )
        self.fallbacks = Counter(
            "llm_fallbacks_total",
            "Calls that failed with a retryable error and fell back to the next provider, by the "
            "provider that failed",
            ["provider"],
            registry=registry,
        )
        self.errors = Counter(
            "llm_errors_total",
            "Failed model calls by provider and kind (timeout, connection, rate_limited, server, client)",
            ["provider", "kind"],
            registry=registry,
        )
        for provider in providers:
            for outcome in ("answered", "failed_over", "rejected"):
                self.requests.labels(provider, outcome)
            self.tokens.labels(provider)
            self.request_seconds.labels(provider)
            self.fallbacks.labels(provider)
            for kind in ERROR_KINDS:
                self.errors.labels(provider, kind)


__all__ = ["ERROR_KINDS", "LlmMetrics"]
