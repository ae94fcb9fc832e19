"""The provider order a user's preference gives: offline none, a chosen provider first, their own
provider before the server's, and the server's order for anything else."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from services.agent.llm.preference import is_own, own_llm_provider, provider_order
from shared.config.settings import LlmProvider
from shared.domain.model_choice import OwnProvider


def provider(name: str) -> LlmProvider:
    return LlmProvider(name=name, base_url=f"http://127.0.0.1:1/{name}", model="m")


SERVER = (provider("first"), provider("second"), provider("third"))
OWN = own_llm_provider(OwnProvider("openai", "gpt-4o-mini", None), SecretStr("sk-user"))


def names(order: tuple[LlmProvider, ...]) -> list[str]:
    return [p.name for p in order]


def test_auto_keeps_the_servers_order() -> None:
    assert names(provider_order(SERVER, "auto", OWN)) == ["first", "second", "third"]


def test_offline_tries_no_provider_at_all() -> None:
    assert provider_order(SERVER, "offline", OWN) == ()


def test_a_chosen_server_provider_goes_first_and_the_rest_stay_as_fallback_in_order() -> None:
    assert names(provider_order(SERVER, "third", None)) == ["third", "first", "second"]


def test_own_puts_the_users_provider_before_the_servers() -> None:
    assert names(provider_order(SERVER, "own", OWN)) == ["own-openai", "first", "second", "third"]
    assert names(provider_order((), "own", OWN)) == ["own-openai"]  # works on a server with no model


@pytest.mark.parametrize("choice", ["own", "removed-from-config"])
def test_a_choice_that_cannot_be_honoured_falls_back_to_the_servers_order(choice: str) -> None:
    assert names(provider_order(SERVER, choice, None)) == ["first", "second", "third"]


def test_the_own_provider_carries_the_users_key_and_endpoint_and_is_named_by_preset_only() -> None:
    custom = own_llm_provider(OwnProvider("custom", "m", "https://m.example/v1"), None)

    assert (OWN.base_url, OWN.api_key) == ("https://api.openai.com/v1", SecretStr("sk-user"))
    assert (custom.name, custom.base_url, custom.api_key) == ("own-custom", "https://m.example/v1", None)
    assert is_own(custom.name) and not is_own("first")
