"""What a user may choose as their model and what their own provider may point at."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config.settings import LlmProvider, LlmProvidersSettings
from shared.domain.model_choice import (
    OLLAMA_DEFAULT_BASE_URL,
    InvalidModelChoice,
    OwnProvider,
    check_base_url,
    check_choice,
    check_model_name,
    own_provider,
)

SERVER = frozenset({"openai-main", "local"})


@pytest.mark.parametrize("choice", ["auto", "offline", "local", "openai-main"])
def test_auto_offline_and_configured_provider_names_are_valid_choices(choice: str) -> None:
    assert check_choice(choice, SERVER, has_own=False) == choice


def test_own_is_a_choice_only_with_an_own_provider() -> None:
    assert check_choice("own", SERVER, has_own=True) == "own"
    with pytest.raises(InvalidModelChoice, match="own provider"):
        check_choice("own", SERVER, has_own=False)


def test_an_unknown_provider_is_refused_naming_the_ones_on_offer() -> None:
    with pytest.raises(InvalidModelChoice, match="local, openai-main") as refused:
        check_choice("Local", SERVER, has_own=True)
    assert refused.value.field == "choice"


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gemini-2.0-flash", "openai/gpt-4o", "llama3.1:8b"])
def test_real_model_names_are_accepted(model: str) -> None:
    assert check_model_name(model) == model


@pytest.mark.parametrize("model", ["", " gpt", "gpt 4", "-gpt", "a" * 129, "gpt\n", "m?x=1"])
def test_malformed_model_names_are_refused(model: str) -> None:
    with pytest.raises(InvalidModelChoice) as refused:
        check_model_name(model)
    assert refused.value.field == "own.model"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://models.example/v1/", "https://models.example/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
        ("https://[::1]:8443/openai", "https://[::1]:8443/openai"),
    ],
)
def test_http_and_https_base_urls_are_accepted_without_a_trailing_slash(url: str, expected: str) -> None:
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://models.example/v1", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("models.example/v1", "http:// or https://"),
        ("https://user:sk-secret@models.example/v1", "no credentials"),
        ("https://sk-secret@models.example/v1", "no credentials"),
        ("https://models.example/v1?key=sk-secret", "no query string"),
        ("https://models.example/v1#sk-secret", "no query string"),
        ("https:///v1", "host name"),
        ("https://models.example:99999/v1", "like https://host/v1"),
        ("https://models.example/v 1", "without spaces"),
        ("https://models.example/" + "v" * 300, "at most 300"),
    ],
)
def test_unsafe_base_urls_are_refused_without_repeating_them(url: str, reason: str) -> None:
    with pytest.raises(InvalidModelChoice, match=reason) as refused:
        check_base_url(url)
    assert refused.value.field == "own.base_url"
    assert "sk-secret" not in str(refused.value)


def test_hosted_presets_have_fixed_endpoints_and_need_a_key() -> None:
    openai = own_provider("openai", "gpt-4o-mini", None)
    assert openai.endpoint == "https://api.openai.com/v1" and openai.needs_key
    gemini = own_provider("gemini", "gemini-2.0-flash", None)
    assert gemini.endpoint.startswith("https://generativelanguage.googleapis.com/")
    with pytest.raises(InvalidModelChoice, match="fixed base URL"):
        own_provider("openrouter", "openai/gpt-4o", "https://openrouter.example/v1")


def test_ollama_defaults_to_the_local_port_and_custom_needs_a_url() -> None:
    assert own_provider("ollama", "llama3", None).endpoint == OLLAMA_DEFAULT_BASE_URL
    assert not own_provider("ollama", "llama3", None).needs_key
    assert own_provider("custom", "m", "https://m.example/v1/") == OwnProvider(
        "custom", "m", "https://m.example/v1"
    )
    with pytest.raises(InvalidModelChoice, match="needs its base URL"):
        own_provider("custom", "m", None)


def test_an_unknown_preset_is_refused() -> None:
    with pytest.raises(InvalidModelChoice, match="openai, gemini, openrouter, ollama, custom"):
        own_provider("azure", "m", None)


@pytest.mark.parametrize("name", ["auto", "offline", "own", "own-openai"])
def test_server_providers_may_not_take_a_reserved_choice_as_their_name(name: str) -> None:
    with pytest.raises(ValidationError, match="reserved"):
        LlmProvidersSettings(
            agent_llm_providers=(LlmProvider(name=name, base_url="http://127.0.0.1:1/v1", model="m"),)
        )


def test_server_provider_names_are_distinct() -> None:
    twice = LlmProvider(name="main", base_url="http://127.0.0.1:1/v1", model="m")
    with pytest.raises(ValidationError, match="distinct"):
        LlmProvidersSettings(agent_llm_providers=(twice, twice))
