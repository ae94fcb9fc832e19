"""A user's choice of model provider, and the rules a user-supplied provider must follow.

The choice is ``auto`` (the server's configured order), ``offline`` (the command parser only, no
model call), ``own`` (the user's own OpenAI-compatible provider first, the server's after it), or
the name of one server-configured provider (first; the others stay as fallback). Server
providers may not take the three reserved names, so a choice always means one thing.

The user's own provider is a preset (which fixes the base URL of the hosted services) or a
base URL of their own. Base URLs are checked here, once, for the gateway that stores them and
the agent that calls them: http or https, a host, and nothing that could carry a secret
(credentials, a query string, a fragment), since URLs end up in logs and on screens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

AUTO = "auto"
OFFLINE = "offline"
OWN = "own"
RESERVED_CHOICES = frozenset((AUTO, OFFLINE, OWN))
"""Choices that are not server provider names (and that no server provider may be named)."""

OWN_PROVIDER_PREFIX = "own-"
"""Users' own providers are named ``own-<preset>`` in logs and metrics; server providers may not be."""

PROVIDER_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"
"""A server provider's name, as ``LlmProvider.name`` allows it."""

Preset = Literal["openai", "gemini", "openrouter", "ollama", "custom"]
PRESETS: tuple[Preset, ...] = ("openai", "gemini", "openrouter", "ollama", "custom")

PRESET_BASE_URLS: dict[Preset, str] = {
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com/v1beta/openai/",
    "openrouter": "https://openrouter.ai/api/v1",
}
"""Hosted services: their base URL is fixed, so a stored key only ever goes to that host."""

OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"
"""Where Ollama listens by default (on the agent's host)."""

KEY_REQUIRED: frozenset[Preset] = frozenset(("openai", "gemini", "openrouter"))
"""Presets that answer nothing without a key; Ollama and custom endpoints may need none."""

MODEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
"""``gpt-4o-mini``, ``gemini-2.0-flash``, ``openai/gpt-4o``, ``llama3.1:8b``."""

MAX_BASE_URL_LENGTH = 300
MAX_API_KEY_LENGTH = 512


class InvalidModelChoice(ValueError):
    """A choice or own provider that cannot be stored; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_choice(choice: str, server_providers: frozenset[str], *, has_own: bool) -> str:
    """Return ``choice`` when it names something this user can use; raise ``InvalidModelChoice``."""
    if choice in (AUTO, OFFLINE):
        return choice
    if choice == OWN:
        if not has_own:
            raise InvalidModelChoice("choice", "'own' needs your own provider: send 'own' with it")
        return choice
    if choice not in server_providers:
        known = ", ".join(sorted(server_providers)) or "none configured"
        raise InvalidModelChoice(
            "choice", f"expected auto, offline, own or a server provider ({known}), was {choice!r}"
        )
    return choice


def check_model_name(model: str) -> str:
    """Return ``model``; raise ``InvalidModelChoice`` unless it looks like a model identifier."""
    if not MODEL_NAME_PATTERN.fullmatch(model):
        raise InvalidModelChoice(
            "own.model",
            "expected a model name of 1-128 letters, digits and . _ : / @ + -, starting with a letter "
            "or digit",
        )
    return model


def check_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash; raise ``InvalidModelChoice`` when it is unsafe.

    The message never repeats the URL: a refused one may hold credentials the user pasted.
    """
    if len(url) > MAX_BASE_URL_LENGTH:
        raise InvalidModelChoice("own.base_url", f"expected at most {MAX_BASE_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise InvalidModelChoice("own.base_url", "expected a URL without spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise InvalidModelChoice("own.base_url", "expected a URL like https://host/v1") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidModelChoice("own.base_url", "expected an http:// or https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidModelChoice(
            "own.base_url", "expected no credentials in the URL: put the key in the key field"
        )
    if not parts.hostname:
        raise InvalidModelChoice("own.base_url", "expected a host name in the URL")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidModelChoice("own.base_url", "expected no query string or fragment in the URL")
    return url.rstrip("/")


def check_api_key(key: str) -> str:
    """Return ``key``; raise ``InvalidModelChoice`` (never quoting it) when it cannot be a key."""
    if not key:
        raise InvalidModelChoice("own.api_key", "the key is empty")
    if len(key) > MAX_API_KEY_LENGTH:
        raise InvalidModelChoice("own.api_key", f"expected at most {MAX_API_KEY_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in key):
        raise InvalidModelChoice("own.api_key", "the key contains spaces or control characters")
    return key


@dataclass(frozen=True, slots=True)
class OwnProvider:
    """The user's own OpenAI-compatible endpoint (its key, if any, is stored apart, encrypted)."""

    preset: Preset
    model: str
    base_url: str | None
    """Only for ``ollama`` (optional) and ``custom`` (required); None for the hosted presets."""

    @property
    def endpoint(self) -> str:
        """The base URL requests go to."""
        if self.base_url is not None:
            return self.base_url
        if self.preset == "ollama":
            return OLLAMA_DEFAULT_BASE_URL
        return PRESET_BASE_URLS[self.preset]

    @property
    def needs_key(self) -> bool:
        return self.preset in KEY_REQUIRED


def own_provider(preset: str, model: str, base_url: str | None) -> OwnProvider:
    """Return a checked ``OwnProvider``; raise ``InvalidModelChoice`` naming the bad field."""
    known = next((p for p in PRESETS if p == preset), None)
    if known is None:
        raise InvalidModelChoice("own.preset", f"expected one of {', '.join(PRESETS)}, was {preset!r}")
    check_model_name(model)
    if known in PRESET_BASE_URLS:
        if base_url is not None:
            raise InvalidModelChoice(
                "own.base_url", f"{known} has a fixed base URL; leave it empty (or choose custom)"
            )
        return OwnProvider(known, model, None)
    if base_url is None:
        if known == "custom":
            raise InvalidModelChoice("own.base_url", "a custom provider needs its base URL")
        return OwnProvider(known, model, None)
    return OwnProvider(known, model, check_base_url(base_url))


__all__ = [
    "AUTO",
    "KEY_REQUIRED",
    "OFFLINE",
    "OLLAMA_DEFAULT_BASE_URL",
    "OWN",
    "OWN_PROVIDER_PREFIX",
    "PRESETS",
    "PRESET_BASE_URLS",
    "PROVIDER_NAME_PATTERN",
    "RESERVED_CHOICES",
    "InvalidModelChoice",
    "OwnProvider",
    "Preset",
    "check_api_key",
    "check_base_url",
    "check_choice",
    "check_model_name",
    "own_provider",
]
