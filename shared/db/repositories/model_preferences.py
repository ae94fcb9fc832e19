"""Users' model preferences: the choice read as the user, changes written audited, keys encrypted.

``get`` runs as ``authenticated`` with the user's claims, so RLS and the column grants apply: it
sees whether a key is stored, never the ciphertext. Changes run as ``service_role`` for the given
user only, the row locked, with their audit entry in the same transaction (as risk limits do);
a refused change stores nothing. ``load_own_key`` (service role) is for the agent alone.

A stored key is bound (``SecretBinding``) to its own id, the user, and the preset and base URL it
was saved for, so it opens only for the endpoint the user gave it to: a key cannot be steered to
another host by editing the row, and a change of provider needs the key typed again. Errors and
log lines never carry the key or its ciphertext.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.model_preferences import ModelPreference
from shared.db.repositories.exchange_keys import RewrapReport
from shared.db.repositories.risk_audit import record
from shared.db.tenancy import claims_for, service_session, user_session
from shared.domain.model_choice import (
    AUTO,
    OWN,
    InvalidModelChoice,
    OwnProvider,
    check_api_key,
    check_choice,
    own_provider,
)
from shared.secrets.base import SecretBinding, SecretCipher, SecretsError

logger = logging.getLogger(__name__)

SET_ACTION = "model_preference.set"
OWN_REMOVED_ACTION = "model_preference.own_removed"


@dataclass(frozen=True, slots=True)
class ModelPreferenceInfo:
    """What a user may see of their preference: never a key, never a ciphertext."""

    choice: str
    own: OwnProvider | None
    own_key_id: uuid.UUID | None
    updated_at: datetime | None
    """None until the user first saves a preference."""

    @property
    def has_key(self) -> bool:
        return self.own_key_id is not None


DEFAULT = ModelPreferenceInfo(AUTO, None, None, None)


@dataclass(frozen=True, slots=True)
class OwnProviderChange:
    """The user's own provider as sent; ``api_key`` None keeps the stored key (same endpoint only)."""

    preset: str
    model: str
    base_url: str | None = None
    api_key: SecretStr | None = None

    def __repr__(self) -> str:
        key = "None" if self.api_key is None else "'**********'"
        return f"OwnProviderChange({self.preset!r}, {self.model!r}, {self.base_url!r}, api_key={key})"


def key_binding(key_id: uuid.UUID, user_id: uuid.UUID, own: OwnProvider) -> SecretBinding:
    """The one place a model key's ciphertext opens: its id, its user, its preset and endpoint."""
    return SecretBinding(key_id, user_id, f"model:{own.preset}:{own.endpoint}", "model_api_key")


def _own_of(row: Any) -> OwnProvider | None:
    if row.own_preset is None:
        return None
    return own_provider(row.own_preset, row.own_model, row.own_base_url)


def _info(row: Any) -> ModelPreferenceInfo:
    if row is None:
        return DEFAULT
    return ModelPreferenceInfo(row.choice, _own_of(row), row.own_key_id, row.updated_at)


def _summary(own: OwnProvider | None) -> dict[str, Any] | None:
    return None if own is None else {"preset": own.preset, "model": own.model, "base_url": own.base_url}


_PUBLIC = (
    ModelPreference.choice,
    ModelPreference.own_preset,
    ModelPreference.own_model,
    ModelPreference.own_base_url,
    ModelPreference.own_key_id,
    ModelPreference.updated_at,
)


class ModelPreferenceRepository:
    """Reads and changes users' model preferences; one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], cipher: SecretCipher) -> None:
        self._sessionmaker = sessionmaker
        self._cipher = cipher

    def __repr__(self) -> str:
        return f"ModelPreferenceRepository(cipher={self._cipher!r})"

    async def get(self, user_id: uuid.UUID) -> ModelPreferenceInfo:
        """The user's preference, read as the user (``auto`` and no own provider until they save one)."""
        async with user_session(self._sessionmaker, claims_for(user_id)) as session:
            row = (await session.execute(select(*_PUBLIC).where(ModelPreference.user_id == user_id))).first()
        return _info(row)

    async def set(
        self,
        user_id: uuid.UUID,
        *,
        choice: str | None,
        own: OwnProviderChange | None,
        server_providers: frozenset[str],
        actor: str,
    ) -> ModelPreferenceInfo:
        """Store the choice and/or own provider the request names (None: unchanged).

        Raises ``InvalidModelChoice`` (naming the field) and stores nothing when the result would
        be unusable: an unknown choice, ``own`` without an own provider, a hosted preset without a
        key, or a stored key asked to follow its provider to another endpoint.
        """
        async with service_session(self._sessionmaker) as session:
            row = await self._locked_row(session, user_id)
            old_own = _own_of(row)
            new_own = old_own if own is None else own_provider(own.preset, own.model, own.base_url)
            key_fields = await self._key_fields(user_id, row, old_own, new_own, own)
            new_choice = (
                row.choice
                if choice is None
                else check_choice(choice, server_providers, has_own=new_own is not None)
            )
            key_id = key_fields.get("own_key_id", row.own_key_id)
            if new_own is not None and new_own.needs_key and key_id is None:
                raise InvalidModelChoice("own.api_key", f"{new_own.preset} needs an API key")
            changes = {
                name: {"old": old, "new": new}
                for name, old, new in (
                    ("choice", row.choice, new_choice),
                    ("own", _summary(old_own), _summary(new_own)),
                )
                if old != new
            }
            if not changes and not key_fields:
                return _info(row)
            values: dict[str, Any] = {
                "choice": new_choice,
                "own_preset": None if new_own is None else new_own.preset,
                "own_model": None if new_own is None else new_own.model,
                "own_base_url": None if new_own is None else new_own.base_url,
                **key_fields,
            }
            stored = (
                await session.execute(
                    update(ModelPreference)
                    .where(ModelPreference.user_id == user_id)
                    .values(**values, updated_at=func.now())
                    .returning(*_PUBLIC)
                )
            ).one()
            details: dict[str, Any] = {"changes": changes}
            if key_fields:
                details["key"] = "stored"  # that a key was stored, never which
            await record(session, user_id, actor, SET_ACTION, details)
        logger.info(
            "model preference changed",
            extra={"user_id": str(user_id), "choice": new_choice, "key_stored": bool(key_fields)},
        )
        return _info(stored)

    async def remove_own(self, user_id: uuid.UUID, actor: str) -> ModelPreferenceInfo | None:
        """Forget the user's own provider and its key (a choice of ``own`` becomes ``auto``);
        return the preference after, or None when there was no own provider."""
        async with service_session(self._sessionmaker) as session:
            row = await session.scalar(
                select(ModelPreference).where(ModelPreference.user_id == user_id).with_for_update()
            )
            if row is None or row.own_preset is None:
                return None
            old_own, old_choice = _own_of(row), row.choice
            stored = (
                await session.execute(
                    update(ModelPreference)
                    .where(ModelPreference.user_id == user_id)
                    .values(
                        choice=AUTO if old_choice == OWN else old_choice,
                        own_preset=None, own_model=None, own_base_url=None, own_key_id=None,
                        own_key_ciphertext=None, own_key_cipher=None, own_key_version=None,
                        updated_at=func.now(),
                    )
                    .returning(*_PUBLIC)
                )
            ).one()  # fmt: skip
            await record(
                session,
                user_id,
                actor,
                OWN_REMOVED_ACTION,
                {"own": _summary(old_own), "had_key": row.own_key_id is not None, "choice": stored.choice},
            )
        logger.info("own model provider removed", extra={"user_id": str(user_id)})
        return _info(stored)

    async def load_own_key(self, user_id: uuid.UUID, key_id: uuid.UUID) -> SecretStr | None:
        """The user's own key with id ``key_id``, decrypted; None when it was replaced or removed.

        For the agent only (``service_role``). Raises a ``SecretsError`` when the ciphertext does
        not open: tampered, moved to another endpoint, or made by a cipher this process lacks.
        """
        query = select(ModelPreference).where(
            ModelPreference.user_id == user_id, ModelPreference.own_key_id == key_id
        )
        async with service_session(self._sessionmaker) as session:
            row = await session.scalar(query)
        if row is None or row.own_key_ciphertext is None:
            return None
        own = _own_of(row)
        assert own is not None  # the table's checks: a key has a preset
        if row.own_key_cipher != self._cipher.name:
            raise SecretsError(
                f"the model key of user {user_id} was encrypted with {row.own_key_cipher!r}, but this "
                f"process is configured for {self._cipher.name!r}"
            )
        binding = key_binding(key_id, user_id, own)
        return await asyncio.to_thread(self._cipher.decrypt, row.own_key_ciphertext, binding)

    async def rewrap_all(self) -> RewrapReport:
        """Move every own key this cipher made under an older key version to the current one.

        Run after ``cipher.rotate()``, beside ``ExchangeKeyRepository.rewrap_all`` (``cryptopulse
        keys rewrap`` does both). A row that does not open is skipped and reported by user id.
        """
        current = await asyncio.to_thread(self._cipher.current_version)
        rewrapped = 0
        failed: list[uuid.UUID] = []
        query = (
            select(ModelPreference)
            .where(
                ModelPreference.own_key_cipher == self._cipher.name, ModelPreference.own_key_version < current
            )
            .order_by(ModelPreference.user_id)
            .with_for_update()
        )
        async with service_session(self._sessionmaker) as session:
            for row in (await session.scalars(query)).all():
                own = _own_of(row)
                assert own is not None and row.own_key_id is not None and row.own_key_ciphertext is not None
                binding = key_binding(row.own_key_id, row.user_id, own)
                try:
                    ciphertext = await asyncio.to_thread(self._cipher.rewrap, row.own_key_ciphertext, binding)
                except SecretsError as error:
                    failed.append(row.user_id)
                    logger.warning(
                        "model key not rewrapped",
                        extra={"user_id": str(row.user_id), "reason": type(error).__name__},
                    )
                    continue
                row.own_key_ciphertext = ciphertext
                row.own_key_version = self._cipher.version_of(ciphertext)
                rewrapped += 1
        logger.info(
            "model keys rewrapped",
            extra={"key_version": current, "rewrapped": rewrapped, "failed": len(failed)},
        )
        return RewrapReport(current, rewrapped, tuple(failed))

    async def _locked_row(self, session: AsyncSession, user_id: uuid.UUID) -> ModelPreference:
        await session.execute(
            insert(ModelPreference)
            .values(user_id=user_id)
            .on_conflict_do_nothing(index_elements=[ModelPreference.user_id])
        )
        row = await session.scalar(
            select(ModelPreference).where(ModelPreference.user_id == user_id).with_for_update()
        )
        assert row is not None
        return row

    async def _key_fields(
        self,
        user_id: uuid.UUID,
        row: ModelPreference,
        old_own: OwnProvider | None,
        new_own: OwnProvider | None,
        change: OwnProviderChange | None,
    ) -> dict[str, Any]:
        """The key columns to write: a new ciphertext, none (the stored key stays), or a refusal."""
        if change is None or new_own is None:
            return {}
        if change.api_key is not None:
            check_api_key(change.api_key.get_secret_value())
            key_id = uuid.uuid4()
            ciphertext = await asyncio.to_thread(
                self._cipher.encrypt, change.api_key, key_binding(key_id, user_id, new_own)
            )
            return {
                "own_key_id": key_id,
                "own_key_ciphertext": ciphertext,
                "own_key_cipher": self._cipher.name,
                "own_key_version": self._cipher.version_of(ciphertext),
            }
        if row.own_key_id is None or old_own is None:
            return {}
        if (old_own.preset, old_own.endpoint) != (new_own.preset, new_own.endpoint):
            raise InvalidModelChoice(
                "own.api_key",
                "enter the key again: a stored key is only sent to the provider and URL it was saved for",
            )
        return {}


__all__ = [
    "DEFAULT",
    "OWN_REMOVED_ACTION",
    "SET_ACTION",
    "ModelPreferenceInfo",
    "ModelPreferenceRepository",
    "OwnProviderChange",
    "key_binding",
]
