"""The caller's model settings: which provider answers their chat, and their own provider's key.

Reads run as the caller (RLS); changes are written for the token's ``sub`` only, with an audit
entry old → new in the same transaction, like limit changes. The key goes in and never comes
out: responses say ``has_key``, the audit says that a key was stored, logs say neither.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status

from services.api_gateway.api.deps import CurrentUser, StateDep, actor_of
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from services.api_gateway.model_schemas import ModelSettingsPublic, ModelSettingsPut
from shared.domain.model_choice import InvalidModelChoice
from shared.secrets.base import SecretsError

_log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/settings/model", tags=["settings"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES}
)


@router.get("", response_model=ModelSettingsPublic)
async def get_model_settings(state: StateDep, user: CurrentUser) -> ModelSettingsPublic:
    """The providers on offer, the caller's choice and own provider (``auto`` until they choose)."""
    info = await state.model_preferences.get(user.sub)
    return ModelSettingsPublic.of(info, state.settings.agent_llm_providers)


@router.put(
    "",
    response_model=ModelSettingsPublic,
    responses={
        status.HTTP_403_FORBIDDEN: {"model": ErrorBody, "description": "The token's user is not registered"},
        status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorBody, "description": "Body too large"},
    },
)
async def put_model_settings(
    state: StateDep, user: CurrentUser, body: ModelSettingsPut
) -> ModelSettingsPublic:
    """Change the choice and/or the own provider; a bad field is a 422 naming it, and nothing is stored."""
    if body.choice is None and body.own is None:
        raise ApiError(422, "invalid_request", "expected 'choice', 'own' or both")
    if await state.users.get(user.sub) is None:
        raise ApiError(403, "unknown_user", f"no CryptoPulse user {user.sub}; sign up first")
    try:
        info = await state.model_preferences.set(
            user.sub,
            choice=body.choice,
            own=None if body.own is None else body.own.change(),
            server_providers=frozenset(p.name for p in state.settings.agent_llm_providers),
            actor=actor_of(user),
        )
    except InvalidModelChoice as e:
        raise ApiError(422, "invalid_model_choice", f"{e.field}: {e.message}") from None
    except SecretsError as e:
        _log.error("model key not encrypted", extra={"user_id": str(user.sub), "reason": type(e).__name__})
        raise ApiError(
            503, "secrets_unavailable", "the key could not be encrypted; try again later"
        ) from None
    return ModelSettingsPublic.of(info, state.settings.agent_llm_providers)


@router.delete("/key", response_model=ModelSettingsPublic)
async def delete_model_key(state: StateDep, user: CurrentUser) -> ModelSettingsPublic:
    """Forget the caller's own provider and its key (a choice of ``own`` becomes ``auto``); 404 when
    there is none."""
    info = await state.model_preferences.remove_own(user.sub, actor_of(user))
    if info is None:
        raise ApiError(404, "own_provider_not_found", "you have no own model provider")
    return ModelSettingsPublic.of(info, state.settings.agent_llm_providers)
