"""Build ChatOpenAI clients from provider settings; nothing is built at import time."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from services.agent.llm.fallback import FallbackChat, Provider
from services.agent.llm.metrics import LlmMetrics
from shared.config.settings import LlmProvider

NO_KEY = SecretStr("not-needed")
"""Sent to keyless endpoints (a local Ollama): the client insists on some key."""


def build_chat_model(provider: LlmProvider) -> ChatOpenAI:
    """Return the client of one provider.

    ``stream_usage`` asks for token usage on streamed replies too, which the token budget reads;
    ``temperature=0`` because a trading copilot should answer the same question the same way.
    """
    return ChatOpenAI(
        model=provider.model,
        base_url=provider.base_url,
        api_key=provider.api_key or NO_KEY,
        timeout=provider.timeout_s,
        max_retries=provider.max_retries,
        temperature=0,
        stream_usage=True,
        name=provider.name,
    )


def build_fallback_chat(
    providers: Sequence[LlmProvider], metrics: LlmMetrics | None = None
) -> FallbackChat | None:
    """Return the providers as one fallback chain, or None when none is configured (offline mode)."""
    if not providers:
        return None
    return FallbackChat([Provider(p.name, build_chat_model(p)) for p in providers], metrics)
