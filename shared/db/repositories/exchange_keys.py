"""Exchange API keys: encrypted before they reach the database, decrypted only for signing.

A user's own operations (add, rotate, delete, list) run as ``authenticated`` with that user's
claims, so RLS and the column grants apply exactly as they will behind the API: the user can
write their ciphertexts but never read one back. Only ``load_for_signing`` and ``rewrap_all``
run as ``service_role``; ``load_for_signing`` is for the executor alone.

Each ciphertext is bound (``SecretBinding``) to its row id, user, venue and field, so the row id
is chosen here, before encrypting. Cipher calls are synchronous (hvac) and run on a worker thread.
Errors and log lines name the user, venue and label, never a plaintext or a ciphertext: database
errors are re-raised without their statement parameters for that reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.exchange_keys import VENUES, ExchangeKey, Venue
from shared.db.tenancy import claims_for, service_session, user_session
from shared.secrets.base import SecretBinding, SecretCipher, SecretPurpose, SecretsError

logger = logging.getLogger(__name__)

LABEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
HINT_CHARS = 4
HINT_MIN_KEY_LENGTH = 16
"""Keys shorter than this get no hint: four characters of a short key would give too much away."""
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"


class ExchangeKeyError(Exception):
    """Base of this repository's errors; messages name venue and label, never key material."""


class ExchangeKeyExistsError(ExchangeKeyError):
    """The user already has a key with this venue and label."""


class ExchangeKeyNotFoundError(ExchangeKeyError, LookupError):
    """No key with this venue (and label) for this user."""


class ExchangeKeyStorageError(ExchangeKeyError):
    """The database refused a write for another reason (its parameters are not repeated)."""


@dataclass(frozen=True, slots=True)
class ExchangeKeyInfo:
    """What a user may see of a stored key: never a secret, never a ciphertext."""

    id: uuid.UUID
    venue: Venue
    label: str
    api_key_hint: str
    created_at: datetime
    rotated_at: datetime | None


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    """A decrypted key pair for the executor's signer. ``SecretStr`` keeps it out of repr and logs."""

    key_id: uuid.UUID
    venue: Venue
    label: str
    api_key: SecretStr
    api_secret: SecretStr


@dataclass(frozen=True, slots=True)
class RewrapReport:
    """What ``rewrap_all`` did: the version rows were moved to, how many moved, which could not."""

    key_version: int
    rewrapped: int
    failed: tuple[uuid.UUID, ...]


def api_key_hint(api_key: SecretStr) -> str:
    """Return the last four characters of a long API key (what UIs show), or ``""`` for a short one."""
    value = api_key.get_secret_value()
    return value[-HINT_CHARS:] if len(value) >= HINT_MIN_KEY_LENGTH else ""


def check_venue(venue: str) -> Venue:
    """Return ``venue`` as a ``Venue``; raise ``ValueError`` for anything else."""
    for known in VENUES:
        if venue == known:
            return known
    raise ValueError(f"expected a venue among {', '.join(VENUES)}, was {venue!r}")


def check_label(label: str) -> str:
    """Return ``label``; raise ``ValueError`` unless it is 1-64 letters, digits, ``_``, ``.``, ``-``."""
    if not LABEL_PATTERN.fullmatch(label):
        raise ValueError(
            "expected a label of 1-64 letters, digits, '_', '.' or '-', starting with a letter or "
            f"digit, was {label!r}"
        )
    return label


def check_secret(value: SecretStr, what: str) -> SecretStr:
    """Refuse an empty or whitespace-padded secret, without quoting it."""
    text = value.get_secret_value()
    if not text:
        raise ValueError(f"the {what} is empty")
    if text != text.strip() or any(c.isspace() for c in text):
        raise ValueError(f"the {what} contains whitespace")
    return value


def bindings_for(key_id: uuid.UUID, user_id: uuid.UUID, venue: str) -> dict[SecretPurpose, SecretBinding]:
    """Return the binding of each field of one key row."""
    return {
        "api_key": SecretBinding(key_id, user_id, venue, "api_key"),
        "api_secret": SecretBinding(key_id, user_id, venue, "api_secret"),
    }


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _info(row: Any) -> ExchangeKeyInfo:
    return ExchangeKeyInfo(
        row.id, check_venue(row.venue), row.label, row.api_key_hint, row.created_at, row.rotated_at
    )


_PUBLIC = (
    ExchangeKey.id,
    ExchangeKey.venue,
    ExchangeKey.label,
    ExchangeKey.api_key_hint,
    ExchangeKey.created_at,
    ExchangeKey.rotated_at,
)


class ExchangeKeyRepository:
    """Stores, replaces, lists and (for the executor) decrypts exchange keys; one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], cipher: SecretCipher) -> None:
        self._sessionmaker = sessionmaker
        self._cipher = cipher

    def __repr__(self) -> str:
        return f"ExchangeKeyRepository(cipher={self._cipher!r})"

    @property
    def cipher(self) -> SecretCipher:
        """The cipher new keys are encrypted with (operators rotate it, then ``rewrap_all``)."""
        return self._cipher

    async def add(
        self, user_id: uuid.UUID, venue: str, label: str, api_key: SecretStr, api_secret: SecretStr
    ) -> ExchangeKeyInfo:
        """Encrypt and store a new key pair as ``user_id``; raise ``ExchangeKeyExistsError`` on a clash."""
        venue, label = check_venue(venue), check_label(label)
        check_secret(api_key, "API key")
        check_secret(api_secret, "API secret")
        key_id = uuid.uuid4()
        fields = await self._encrypt(key_id, user_id, venue, api_key, api_secret)
        values = {"id": key_id, "user_id": user_id, "venue": venue, "label": label, **fields}
        try:
            async with user_session(self._sessionmaker, claims_for(user_id)) as session:
                # A plain INSERT, not session.add: the unit of work would add RETURNING of server
                # defaults, and users may read only the public columns.
                await session.execute(insert(ExchangeKey).values(**values))
                info = (await session.execute(select(*_PUBLIC).where(ExchangeKey.id == key_id))).one()
        except IntegrityError as error:
            if _sqlstate(error) == _UNIQUE_VIOLATION:
                raise ExchangeKeyExistsError(f"a {venue} key labelled {label!r} exists already") from None
            if _sqlstate(error) == _FOREIGN_KEY_VIOLATION:
                raise ExchangeKeyStorageError(f"no user {user_id}") from None
            raise ExchangeKeyStorageError(f"the database refused the key ({_sqlstate(error)})") from None
        except DBAPIError as error:
            raise ExchangeKeyStorageError(f"the database refused the key ({_sqlstate(error)})") from None
        logger.info(
            "exchange key added",
            extra={"user_id": str(user_id), "venue": venue, "label": label, "key_id": str(key_id)},
        )
        return _info(info)

    async def rotate(
        self, user_id: uuid.UUID, venue: str, label: str, api_key: SecretStr, api_secret: SecretStr
    ) -> ExchangeKeyInfo:
        """Replace the key pair of an existing key (the user rotated it at the exchange)."""
        venue, label = check_venue(venue), check_label(label)
        check_secret(api_key, "API key")
        check_secret(api_secret, "API secret")
        try:
            async with user_session(self._sessionmaker, claims_for(user_id)) as session:
                key_id = await session.scalar(
                    select(ExchangeKey.id)
                    .where(ExchangeKey.venue == venue, ExchangeKey.label == label)
                    .with_for_update()
                )
                if key_id is None:
                    raise ExchangeKeyNotFoundError(f"no {venue} key labelled {label!r}")
                fields = await self._encrypt(key_id, user_id, venue, api_key, api_secret)
                await session.execute(
                    update(ExchangeKey)
                    .where(ExchangeKey.id == key_id)
                    .values(**fields, rotated_at=func.now())
                )
                info = (await session.execute(select(*_PUBLIC).where(ExchangeKey.id == key_id))).one()
        except DBAPIError as error:
            raise ExchangeKeyStorageError(f"the database refused the key ({_sqlstate(error)})") from None
        logger.info(
            "exchange key rotated",
            extra={"user_id": str(user_id), "venue": venue, "label": label, "key_id": str(key_id)},
        )
        return _info(info)

    async def delete(self, user_id: uuid.UUID, venue: str, label: str) -> bool:
        """Delete the user's key; return whether there was one."""
        venue, label = check_venue(venue), check_label(label)
        async with user_session(self._sessionmaker, claims_for(user_id)) as session:
            deleted = (
                await session.execute(
                    delete(ExchangeKey)
                    .where(ExchangeKey.venue == venue, ExchangeKey.label == label)
                    .returning(ExchangeKey.id)
                )
            ).all()
        if deleted:
            logger.info(
                "exchange key deleted",
                extra={"user_id": str(user_id), "venue": venue, "label": label, "key_id": str(deleted[0].id)},
            )
        return bool(deleted)

    async def list(self, user_id: uuid.UUID) -> list[ExchangeKeyInfo]:
        """Return the user's keys (public fields only), by venue then label."""
        query = select(*_PUBLIC).order_by(ExchangeKey.venue, ExchangeKey.label)
        async with user_session(self._sessionmaker, claims_for(user_id)) as session:
            rows = (await session.execute(query)).all()
        return [_info(row) for row in rows]

    async def load_for_signing(
        self, user_id: uuid.UUID, venue: str, label: str | None = None
    ) -> SigningCredentials:
        """Return the decrypted key pair the executor signs with; for the executor only.

        With no ``label``, the user's one key on ``venue`` (``ExchangeKeyError`` when there are
        several). Raises ``ExchangeKeyNotFoundError``, or a ``SecretsError`` when the stored key
        does not decrypt (tampered, moved, or encrypted by a cipher this process lacks).
        """
        venue = check_venue(venue)
        query = select(ExchangeKey).where(ExchangeKey.user_id == user_id, ExchangeKey.venue == venue)
        if label is not None:
            query = query.where(ExchangeKey.label == check_label(label))
        async with service_session(self._sessionmaker) as session:
            rows = (await session.scalars(query.limit(2))).all()
        if not rows:
            raise ExchangeKeyNotFoundError(
                f"no {venue} key"
                + (f" labelled {label!r}" if label is not None else "")
                + f" for user {user_id}"
            )
        if len(rows) > 1:
            raise ExchangeKeyError(f"user {user_id} has several {venue} keys: name the label")
        row = rows[0]
        self._check_cipher(row)
        bindings = bindings_for(row.id, row.user_id, row.venue)
        api_key = await asyncio.to_thread(self._cipher.decrypt, row.api_key_ciphertext, bindings["api_key"])
        api_secret = await asyncio.to_thread(
            self._cipher.decrypt, row.api_secret_ciphertext, bindings["api_secret"]
        )
        logger.info(
            "exchange key loaded for signing",
            extra={"user_id": str(user_id), "venue": venue, "label": row.label, "key_id": str(row.id)},
        )
        return SigningCredentials(row.id, venue, row.label, api_key, api_secret)

    async def rewrap_all(self) -> RewrapReport:
        """Move every key this cipher made under an older key version to the current one.

        Run after ``cipher.rotate()``. Rows of another cipher are left alone. A row that does not
        open (tampered, or made under a master key this process lacks) is logged by id, skipped
        and reported, so one bad row cannot block the rotation of all the others. Plaintexts
        never leave the cipher: Vault rewraps server-side; the envelope re-encrypts only the
        data key.
        """
        current = await asyncio.to_thread(self._cipher.current_version)
        rewrapped = 0
        failed: list[uuid.UUID] = []
        query = (
            select(ExchangeKey)
            .where(ExchangeKey.cipher == self._cipher.name, ExchangeKey.key_version < current)
            .order_by(ExchangeKey.id)
            .with_for_update()
        )
        async with service_session(self._sessionmaker) as session:
            for row in (await session.scalars(query)).all():
                try:
                    fields = await self._rewrap_row(row)
                except SecretsError as error:
                    failed.append(row.id)
                    logger.warning(
                        "exchange key not rewrapped",
                        extra={"key_id": str(row.id), "reason": type(error).__name__},
                    )
                    continue
                for name, value in fields.items():
                    setattr(row, name, value)
                rewrapped += 1
        report = RewrapReport(current, rewrapped, tuple(failed))
        logger.info(
            "exchange keys rewrapped",
            extra={"key_version": current, "rewrapped": rewrapped, "failed": len(failed)},
        )
        return report

    async def _rewrap_row(self, row: ExchangeKey) -> dict[str, Any]:
        bindings = bindings_for(row.id, row.user_id, row.venue)
        key_ciphertext = await asyncio.to_thread(
            self._cipher.rewrap, row.api_key_ciphertext, bindings["api_key"]
        )
        secret_ciphertext = await asyncio.to_thread(
            self._cipher.rewrap, row.api_secret_ciphertext, bindings["api_secret"]
        )
        return {
            "api_key_ciphertext": key_ciphertext,
            "api_secret_ciphertext": secret_ciphertext,
            "key_version": min(
                self._cipher.version_of(key_ciphertext), self._cipher.version_of(secret_ciphertext)
            ),
        }

    async def _encrypt(
        self, key_id: uuid.UUID, user_id: uuid.UUID, venue: str, api_key: SecretStr, api_secret: SecretStr
    ) -> dict[str, Any]:
        bindings = bindings_for(key_id, user_id, venue)
        key_ciphertext = await asyncio.to_thread(self._cipher.encrypt, api_key, bindings["api_key"])
        secret_ciphertext = await asyncio.to_thread(self._cipher.encrypt, api_secret, bindings["api_secret"])
        return {
            "api_key_hint": api_key_hint(api_key),
            "api_key_ciphertext": key_ciphertext,
            "api_secret_ciphertext": secret_ciphertext,
            "cipher": self._cipher.name,
            # Both are made back to back; a rotation in between leaves the row on the older one.
            "key_version": min(
                self._cipher.version_of(key_ciphertext), self._cipher.version_of(secret_ciphertext)
            ),
        }

    def _check_cipher(self, row: ExchangeKey) -> None:
        if row.cipher != self._cipher.name:
            raise SecretsError(
                f"key {row.id} was encrypted with {row.cipher!r}, but this process is configured for "
                f"{self._cipher.name!r}"
            )


__all__ = [
    "ExchangeKeyError",
    "ExchangeKeyExistsError",
    "ExchangeKeyInfo",
    "ExchangeKeyNotFoundError",
    "ExchangeKeyRepository",
    "ExchangeKeyStorageError",
    "RewrapReport",
    "SigningCredentials",
    "api_key_hint",
    "bindings_for",
    "check_label",
    "check_secret",
    "check_venue",
]
