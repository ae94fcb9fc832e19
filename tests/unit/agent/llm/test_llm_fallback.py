"""The real ChatOpenAI client against scripted local servers: fallback on 503/429/timeouts, not on 4xx."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from cryptopulse.servers.ports import free_port
from services.agent.llm.clients import build_fallback_chat
from services.agent.llm.errors import ProviderRejected, ProvidersExhausted
from services.agent.llm.fallback import ANSWERED_BY
from services.agent.llm.metrics import LlmMetrics
from shared.config.settings import AgentSettings, LlmProvider
from tests.support.openai_server import Reply, scripted_openai


def provider(name: str, url: str, timeout_s: float = 5.0) -> LlmProvider:
    return LlmProvider(name=name, base_url=url, model="m", api_key=SecretStr("sk-test"), timeout_s=timeout_s)


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (Reply(status=503), "server"),
        (Reply(status=429), "rate_limited"),
        (Reply(status=500), "server"),
        (Reply(delay_s=2.0, content="too late"), "timeout"),
    ],
    ids=["503", "429", "500", "timeout"],
)
async def test_a_retryable_failure_falls_back_to_the_next_provider(failure: Reply, kind: str) -> None:
    # Arrange
    metrics = LlmMetrics(CollectorRegistry())
    with (
        scripted_openai([failure]) as (first, url1),
        scripted_openai([Reply(content="hello")]) as (second, url2),
    ):
        chat = build_fallback_chat(
            [provider("first", url1, timeout_s=0.5), provider("second", url2)], metrics
        )
        assert chat is not None
        # Act
        answer = await chat.ainvoke([HumanMessage("hi")])
    # Assert
    assert answer.text == "hello"
    assert answer.response_metadata[ANSWERED_BY] == "second"
    assert len(first.requests) == 1 and len(second.requests) == 1
    assert metrics.requests.labels("first", "failed_over")._value.get() == 1
    assert metrics.requests.labels("second", "answered")._value.get() == 1
    assert metrics.tokens.labels("second")._value.get() == 15
    assert metrics.fallbacks.labels("first")._value.get() == 1
    assert metrics.errors.labels("first", kind)._value.get() == 1
    assert metrics.errors.labels("second", kind)._value.get() == 0
    assert 0 < metrics.request_seconds.labels("first")._sum.get() < 5  # the failed call is timed too


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_a_refused_connection_falls_back_to_the_next_provider() -> None:
    registry = CollectorRegistry()
    with scripted_openai([Reply(content="up")]) as (_, url):
        chat = build_fallback_chat(
            [provider("down", f"http://127.0.0.1:{free_port()}/v1"), provider("up", url)],
            LlmMetrics(registry, ("down", "up")),
        )
        assert chat is not None
        answer = await chat.ainvoke([HumanMessage("hi")])
    assert answer.response_metadata[ANSWERED_BY] == "up"
    assert _sample(registry, "llm_errors_total", provider="down", kind="connection") == 1
    assert _sample(registry, "llm_fallbacks_total", provider="down") == 1
    assert _sample(registry, "llm_request_seconds_count", provider="up") == 1
    assert _sample(registry, "llm_fallbacks_total", provider="up") == 0  # known providers start at 0


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_client_error_is_raised_without_trying_the_next_provider(status: int) -> None:
    registry = CollectorRegistry()
    with (
        scripted_openai([Reply(status=status)]) as (_, url1),
        scripted_openai([Reply(content="x")]) as (second, url2),
    ):
        chat = build_fallback_chat([provider("first", url1), provider("second", url2)], LlmMetrics(registry))
        assert chat is not None
        with pytest.raises(
            ProviderRejected, match=f"'first' rejected the request \\(HTTP {status}"
        ) as caught:
            await chat.ainvoke([HumanMessage("hi")])
    assert caught.value.status_code == status
    assert second.requests == []
    assert _sample(registry, "llm_errors_total", provider="first", kind="client") == 1
    assert _sample(registry, "llm_fallbacks_total", provider="first") is None  # not fallen back from


async def test_every_provider_failing_lists_each_reason_in_order() -> None:
    with scripted_openai([Reply(status=503)]) as (_, url1), scripted_openai([Reply(status=429)]) as (_, url2):
        chat = build_fallback_chat([provider("a", url1), provider("b", url2)])
        assert chat is not None
        with pytest.raises(ProvidersExhausted) as caught:
            await chat.ainvoke([HumanMessage("hi")])
    assert [(name, reason.split(":")[0]) for name, reason in caught.value.failures] == [
        ("a", "HTTP 503"),
        ("b", "HTTP 429"),
    ]


def test_no_providers_means_offline_mode() -> None:
    assert build_fallback_chat(()) is None


def test_providers_are_read_in_order_from_a_json_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "CRYPTOPULSE_AGENT_LLM_PROVIDERS",
        '[{"name": "openai", "base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini",'
        ' "api_key": "sk-1"},'
        ' {"name": "ollama", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1", "timeout_s": 60}]',
    )
    providers = AgentSettings().agent_llm_providers
    assert [p.name for p in providers] == ["openai", "ollama"]
    assert providers[0].api_key is not None and providers[0].api_key.get_secret_value() == "sk-1"
    assert providers[1].api_key is None and providers[1].timeout_s == 60
    assert "sk-1" not in repr(providers)
