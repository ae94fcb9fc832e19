"""The rules engine's rounds and staleness are settings: read from the environment, checked at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config.settings import AgentSettings


def test_the_defaults_are_a_one_second_reload_a_five_second_outbox_and_a_minute_of_staleness() -> None:
    settings = AgentSettings()
    assert (settings.agent_rules_reload_s, settings.agent_rules_outbox_s) == (1.0, 5.0)
    assert settings.agent_rules_stale_after_s == 60.0


def test_they_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_AGENT_RULES_RELOAD_S", "0.25")
    monkeypatch.setenv("CRYPTOPULSE_AGENT_RULES_STALE_AFTER_S", "300")
    settings = AgentSettings()
    assert (settings.agent_rules_reload_s, settings.agent_rules_stale_after_s) == (0.25, 300.0)


@pytest.mark.parametrize(
    "field", ["agent_rules_reload_s", "agent_rules_outbox_s", "agent_rules_stale_after_s"]
)
@pytest.mark.parametrize("value", [0, -1, 10**6])
def test_a_round_of_zero_negative_or_absurd_length_is_refused_by_name(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=field):
        AgentSettings.model_validate({field: value})
