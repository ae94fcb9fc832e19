"""Shapes of the model settings: the server's providers on offer (names and models, never a key or
a URL), the user's choice, and their own provider (its key is write-only: ``has_key`` says it
is stored). Bodies refuse unknown fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.config.settings import LlmProvider
from shared.db.repositories.model_preferences import ModelPreferenceInfo, OwnProviderChange
from shared.domain.model_choice import (
    KEY_REQUIRED,
    MAX_API_KEY_LENGTH,
    MAX_BASE_URL_LENGTH,
    OLLAMA_DEFAULT_BASE_URL,
    PRESET_BASE_URLS,
    PRESETS,
    PROVIDER_NAME_PATTERN,
    Preset,
)

CHOICE_DESCRIPTION = (
    "`auto`: the server's providers in their configured order; `offline`: the command parser only, "
    "no model call; `own`: your own provider first, the server's after it; or the name of one "
    "server provider, tried first (the others stay as fallback)."
)


class ServerProviderPublic(BaseModel):
    """A provider the server offers: its name (what ``choice`` takes) and model."""

    name: str
    model: str


class PresetPublic(BaseModel):
    """A kind of own provider: where it answers, and what it needs."""

    name: Preset
    base_url: str | None = Field(
        description="Fixed for hosted services; the default for ollama; null for custom."
    )
    base_url_editable: bool
    base_url_required: bool
    key_required: bool


class OwnProviderPublic(BaseModel):
    """The caller's own provider; the key itself is never returned."""

    preset: Preset
    model: str
    base_url: str | None = Field(description="As you set it (null for the hosted presets).")
    endpoint: str = Field(description="Where requests go.")
    has_key: bool


class ModelSettingsPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "providers": [{"name": "openai", "model": "gpt-4o-mini"}, {"name": "lan", "model": "llama3"}],
                "presets": [
                    {"name": "openai", "base_url": "https://api.openai.com/v1", "base_url_editable": False,
                     "base_url_required": False, "key_required": True},
                ],
                "choice": "own",
                "own": {"preset": "openrouter", "model": "openai/gpt-4o", "base_url": None,
                        "endpoint": "https://openrouter.ai/api/v1", "has_key": True},
                "updated_at": "2026-12-05T10:00:00Z",
            }
        }
    )  # fmt: skip

    providers: list[ServerProviderPublic] = Field(description="The server's providers, in fallback order.")
    presets: list[PresetPublic]
    choice: str = Field(description=CHOICE_DESCRIPTION)
    own: OwnProviderPublic | None
    updated_at: datetime | None = Field(description="null until you first save a preference.")

    @classmethod
    def of(cls, info: ModelPreferenceInfo, providers: Sequence[LlmProvider]) -> ModelSettingsPublic:
        own = info.own
        return cls(
            providers=[ServerProviderPublic(name=p.name, model=p.model) for p in providers],
            presets=[_preset(name) for name in PRESETS],
            choice=info.choice,
            own=None
            if own is None
            else OwnProviderPublic(
                preset=own.preset,
                model=own.model,
                base_url=own.base_url,
                endpoint=own.endpoint,
                has_key=info.has_key,
            ),
            updated_at=info.updated_at,
        )


def _preset(name: Preset) -> PresetPublic:
    fixed = PRESET_BASE_URLS.get(name)
    return PresetPublic(
        name=name,
        base_url=fixed if fixed is not None else OLLAMA_DEFAULT_BASE_URL if name == "ollama" else None,
        base_url_editable=fixed is None,
        base_url_required=name == "custom",
        key_required=name in KEY_REQUIRED,
    )


class OwnProviderPut(BaseModel):
    """Your own OpenAI-compatible provider. Leave ``api_key`` out to keep the stored key (only while
    the preset and base URL stay the same: a key is only sent where it was saved for)."""

    model_config = ConfigDict(extra="forbid")

    preset: Preset
    model: str = Field(
        min_length=1, max_length=128, description="e.g. gpt-4o-mini, openai/gpt-4o, llama3.1:8b"
    )
    base_url: str | None = Field(
        None,
        max_length=MAX_BASE_URL_LENGTH,
        description="Only for ollama (optional) and custom (required): http(s), no credentials or query.",
    )
    api_key: SecretStr | None = Field(
        None, max_length=MAX_API_KEY_LENGTH, description="Write-only: stored encrypted, never returned."
    )

    def change(self) -> OwnProviderChange:
        return OwnProviderChange(self.preset, self.model, self.base_url, self.api_key)


class ModelSettingsPut(BaseModel):
    """What to change: the choice, the own provider, or both (what is left out stays)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"choice": "offline"},
                {
                    "choice": "own",
                    "own": {"preset": "openai", "model": "gpt-4o-mini", "api_key": "sk-EXAMPLE-your-own-key"},
                },
            ]
        },
    )

    choice: str | None = Field(None, pattern=PROVIDER_NAME_PATTERN, description=CHOICE_DESCRIPTION)
    own: OwnProviderPut | None = None
