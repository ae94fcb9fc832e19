"""The order a user's chat tries providers in, from their preference (see ``shared.domain.model_choice``).

Pure: the server's providers, the user's choice and their own provider (already decrypted) in,
the fallback order out. An empty order means no model answers (offline).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from shared.config.settings import LlmProvider
from shared.domain.model_choice import OFFLINE, OWN, OWN_PROVIDER_PREFIX, OwnProvider


def own_llm_provider(own: OwnProvider, api_key: SecretStr | None) -> LlmProvider:
    """The user's own provider as a client configuration, named ``own-<preset>`` in logs and metrics
    (never a user id or a URL)."""
    return LlmProvider(
        name=f"{OWN_PROVIDER_PREFIX}{own.preset}", base_url=own.endpoint, model=own.model, api_key=api_key
    )


def is_own(provider_name: str) -> bool:
    return provider_name.startswith(OWN_PROVIDER_PREFIX)


def provider_order(
    server: Sequence[LlmProvider], choice: str, own: LlmProvider | None
) -> tuple[LlmProvider, ...]:
    """Return the providers to try, first to last.

    ``offline``: none. ``own``: the user's provider, then the server's. A server provider's name:
    that one, then the others in their configured order. ``auto``, or a name the server no longer
    configures: the server's order (the choice outlives a configuration change harmlessly).
    """
    if choice == OFFLINE:
        return ()
    if choice == OWN and own is not None:
        return (own, *server)
    chosen = [p for p in server if p.name == choice]
    return (*chosen, *(p for p in server if p.name != choice))


__all__ = ["is_own", "own_llm_provider", "provider_order"]
