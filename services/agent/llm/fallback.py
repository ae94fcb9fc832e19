"""Try providers in order: on a retryable failure the next one answers, on a 4xx nobody does.

Why not ``Runnable.with_fallbacks``: it can take the same exception classes, but on exhaustion
it re-raises only the first provider's error, a 4xx surfaces as a bare ``openai`` error with no
provider name, and it cannot say which provider answered. Here each step is logged and counted,
and the two failure kinds are distinct errors (``ProviderRejected``, ``ProvidersExhausted``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from services.agent.llm.errors import (
    NoProviders,
    ProviderRejected,
    ProvidersExhausted,
    describe,
    error_kind,
    is_retryable,
)
from services.agent.llm.metrics import LlmMetrics

_log = logging.getLogger(__name__)

ANSWERED_BY = "provider"
"""Key of ``AIMessage.response_metadata`` naming the provider that answered."""


@dataclass(frozen=True, slots=True)
class Provider:
    """A named model: a chat model, or one already bound to tools."""

    name: str
    model: Runnable[LanguageModelInput, BaseMessage]


class FallbackChat(Runnable[LanguageModelInput, BaseMessage]):
    """A chat model made of providers tried in order (see the module docstring)."""

    def __init__(self, providers: Sequence[Provider], metrics: LlmMetrics | None = None) -> None:
        if not providers:
            raise NoProviders("expected at least one model provider, was none (use offline mode)")
        self.providers = tuple(providers)
        self._metrics = metrics

    def bind_tools(self, tools: Sequence[dict[str, Any]]) -> FallbackChat:
        """Return the same chain with ``tools`` bound to every provider's model."""
        bound: list[Provider] = []
        for provider in self.providers:
            if not isinstance(provider.model, BaseChatModel):
                raise TypeError(f"expected a chat model for {provider.name!r}, was {type(provider.model)}")
            bound.append(Provider(provider.name, provider.model.bind_tools(tools)))
        return FallbackChat(bound, self._metrics)

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        failures: list[tuple[str, str]] = []
        for provider in self.providers:
            started = time.perf_counter()
            try:
                answer = provider.model.invoke(input, config, **kwargs)
            except Exception as e:
                self._timed(provider.name, started)
                self._failed(provider.name, e, failures)
                continue
            self._timed(provider.name, started)
            return self._answered(provider.name, answer, failures)
        raise ProvidersExhausted(failures)

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        failures: list[tuple[str, str]] = []
        for provider in self.providers:
            started = time.perf_counter()
            try:
                answer = await provider.model.ainvoke(input, config, **kwargs)
            except Exception as e:
                self._timed(provider.name, started)
                self._failed(provider.name, e, failures)
                continue
            self._timed(provider.name, started)
            return self._answered(provider.name, answer, failures)
        raise ProvidersExhausted(failures)

    def _timed(self, name: str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.request_seconds.labels(name).observe(time.perf_counter() - started)

    def _failed(self, name: str, error: Exception, failures: list[tuple[str, str]]) -> None:
        if self._metrics is not None:
            self._metrics.errors.labels(name, error_kind(error)).inc()
        if not is_retryable(error):
            self._count(name, "rejected")
            _log.warning(
                "model provider rejected the request", extra={"provider": name, "error": describe(error)}
            )
            raise ProviderRejected(name, error) from error
        self._count(name, "failed_over")
        if self._metrics is not None:
            self._metrics.fallbacks.labels(name).inc()
        _log.warning(
            "model provider failed; trying the next", extra={"provider": name, "error": describe(error)}
        )
        failures.append((name, describe(error)))

    def _answered(self, name: str, answer: BaseMessage, failures: list[tuple[str, str]]) -> BaseMessage:
        self._count(name, "answered")
        usage = answer.usage_metadata if isinstance(answer, AIMessage) else None
        if usage is not None and self._metrics is not None:
            self._metrics.tokens.labels(name).inc(usage["total_tokens"])
        _log.info("model provider answered", extra={"provider": name, "after_failures": len(failures)})
        answer.response_metadata[ANSWERED_BY] = name
        return answer

    def _count(self, name: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.requests.labels(name, outcome).inc()
