"""The caller's exchange API keys: list, add or rotate, delete. Secrets go in, never come out.

Every call acts as the token's ``sub`` only: the repository runs it in a session as
``authenticated`` with that user's claims, and row-level security limits every statement to that
user's rows (no route takes a user id from the request). The column grants keep ciphertexts
unreadable even to their owner; the response models carry neither secrets nor ciphertexts.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from services.api_gateway.schemas import (
    DEFAULT_LABEL,
    LABEL_DESCRIPTION,
    LABEL_REGEX,
    ExchangeKeyPublic,
    ExchangeKeyPut,
    ExchangeKeysPublic,
)
from shared.db.models.exchange_keys import Venue
from shared.db.repositories.exchange_keys import (
    ExchangeKeyExistsError,
    ExchangeKeyInfo,
    ExchangeKeyNotFoundError,
    ExchangeKeyRepository,
    ExchangeKeyStorageError,
)
from shared.secrets.base import SecretsError

_log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/exchange-keys", tags=["exchange-keys"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES}
)

VenuePath = Annotated[Venue, Path(description="Exchange venue: paper, testnet or live.")]
LabelQuery = Annotated[
    str, Query(pattern=LABEL_REGEX, description=LABEL_DESCRIPTION, examples=[DEFAULT_LABEL])
]


@router.get("", response_model=ExchangeKeysPublic)
async def list_keys(state: StateDep, user: CurrentUser) -> ExchangeKeysPublic:
    """The caller's keys, by venue then label: a 4-character hint of each API key, no secrets."""
    infos = await state.exchange_keys.list(user.sub)
    return ExchangeKeysPublic(data=[ExchangeKeyPublic.of(i) for i in infos], count=len(infos))


@router.put(
    "/{venue}",
    response_model=ExchangeKeyPublic,
    responses={
        status.HTTP_201_CREATED: {"model": ExchangeKeyPublic, "description": "Added"},
        status.HTTP_200_OK: {"description": "Rotated: the stored key pair was replaced"},
        status.HTTP_403_FORBIDDEN: {"model": ErrorBody, "description": "The token's user is not registered"},
        status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorBody, "description": "Body too large"},
    },
)
async def put_key(
    state: StateDep, user: CurrentUser, venue: VenuePath, body: ExchangeKeyPut, response: Response
) -> ExchangeKeyPublic:
    """Store the caller's key pair for ``venue`` (201), or replace the one with this label (200)."""
    if await state.users.get(user.sub) is None:
        raise ApiError(403, "unknown_user", f"no CryptoPulse user {user.sub}; sign up first")
    try:
        info, added = await _add_or_rotate(state.exchange_keys, user.sub, venue, body)
    except SecretsError as e:
        _log.error(
            "exchange key not encrypted",
            extra={"user_id": str(user.sub), "venue": venue, "reason": type(e).__name__},
        )
        raise ApiError(
            503, "secrets_unavailable", "the key could not be encrypted; try again later"
        ) from None
    except ExchangeKeyStorageError as e:
        _log.error(
            "exchange key not stored", extra={"user_id": str(user.sub), "venue": venue, "reason": str(e)}
        )
        raise ApiError(500, "storage_failed", "the key could not be stored") from None
    response.status_code = status.HTTP_201_CREATED if added else status.HTTP_200_OK
    return ExchangeKeyPublic.of(info)


@router.delete(
    "/{venue}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={status.HTTP_204_NO_CONTENT: {"description": "Deleted"}},
)
async def delete_key(
    state: StateDep, user: CurrentUser, venue: VenuePath, label: LabelQuery = DEFAULT_LABEL
) -> Response:
    """Delete the caller's key for ``venue`` with this label; 404 when there is none."""
    if not await state.exchange_keys.delete(user.sub, venue, label):
        raise ApiError(404, "key_not_found", f"no {venue} key labelled {label!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _add_or_rotate(
    keys: ExchangeKeyRepository, user_id: uuid.UUID, venue: Venue, body: ExchangeKeyPut
) -> tuple[ExchangeKeyInfo, bool]:
    # Rotate first: a rotation then costs no wasted encryption (Vault is a network call).
    store = (user_id, venue, body.label, body.api_key, body.api_secret)
    try:
        return await keys.rotate(*store), False
    except ExchangeKeyNotFoundError:
        pass
    try:
        return await keys.add(*store), True
    except ExchangeKeyExistsError:
        # A concurrent PUT added it between the two calls; PUT means "make it this", so replace it.
        return await keys.rotate(*store), False
