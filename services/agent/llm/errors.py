"""Which provider failures move on to the next provider, and the errors callers see otherwise.

A timeout, a lost connection, a 429 or a 5xx says nothing about the request, so another
provider may well answer it. Any other 4xx (bad request, bad key, unknown model) would fail
the same way everywhere, or hides a configuration mistake that a silent fallback would mask.
"""

from __future__ import annotations

import httpx
import openai

RETRYABLE: tuple[type[BaseException], ...] = (
    openai.RateLimitError,  # 429
    openai.InternalServerError,  # every status >= 500
    openai.APIConnectionError,  # includes openai.APITimeoutError
    httpx.TransportError,  # a stream cut mid-way surfaces from httpx unwrapped
)


def is_retryable(error: BaseException) -> bool:
    """Return whether ``error`` should make the chain try the next provider."""
    return isinstance(error, RETRYABLE)


def error_kind(error: BaseException) -> str:
    """The ``llm_errors_total`` kind of ``error``: timeout, connection, rate_limited, server, or
    client (any other refusal, and errors that are not the provider's answer)."""
    if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
        return "timeout"
    if isinstance(error, openai.APIConnectionError | httpx.TransportError):
        return "connection"
    if isinstance(error, openai.RateLimitError):
        return "rate_limited"
    if isinstance(error, openai.InternalServerError):
        return "server"
    return "client"


def describe(error: BaseException) -> str:
    """One line naming the failure: the HTTP status when there is one, else the exception type."""
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    return f"{type(error).__name__}: {error}"


class LlmError(RuntimeError):
    """The model could not answer; the chat says so instead of guessing."""


class ProviderRejected(LlmError):
    """A provider refused the request with a 4xx other than 429; no other provider is tried."""

    def __init__(self, provider: str, error: BaseException) -> None:
        self.provider = provider
        self.status_code = error.status_code if isinstance(error, openai.APIStatusError) else None
        super().__init__(f"provider {provider!r} rejected the request ({describe(error)}); not falling back")


class ProvidersExhausted(LlmError):
    """Every provider failed with a retryable error; ``failures`` lists each one's reason in order."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        reasons = "; ".join(f"{name}: {reason}" for name, reason in failures)
        super().__init__(f"all {len(failures)} model providers failed ({reasons})")


class NoProviders(LlmError):
    """Asked for a model with none configured: the caller should have used offline mode."""
