"""The local master key ring: a 0600 file outside the database, created on first use, rotatable.

Why a ring and not one key: rotating the master key must not strand the ciphertexts made under
the previous one. Every version stays in the file (so old ciphertexts still open) until an
operator has rewrapped them all; new ciphertexts always use ``current``.

Why the checks: the file is the only thing standing between a database dump and every user's
exchange keys, so it is created with ``O_EXCL`` and mode 0600 (never widened by the umask),
replaced atomically on rotation, refused when group or others can read it, and never echoed in
an error message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.secrets.base import MasterKeyError

KEYRING_FORMAT = "cryptopulse-master-keyring/v1"
KEY_BYTES = 32
"""AES-256."""

_KEY_ID_DOMAIN = b"cryptopulse/master-key-id/v1\x00"


def key_id_of(key: bytes) -> str:
    """Return a short public fingerprint of ``key``, stored in every ciphertext.

    A one-way hash, so it reveals nothing usable about the key, yet lets decryption tell
    "wrong master key file" apart from "tampered ciphertext", which AES-GCM alone cannot.
    """
    return hashlib.sha256(_KEY_ID_DOMAIN + key).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class MasterKey:
    """One version of the master key. ``key`` is left out of ``repr``."""

    version: int
    key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return key_id_of(self.key)


@dataclass(frozen=True, slots=True)
class MasterKeyRing:
    """Every master key version still needed, and which one new ciphertexts use."""

    current: int
    keys: Mapping[int, MasterKey] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise MasterKeyError(f"the key ring's current version v{self.current} is not among its keys")

    @property
    def current_key(self) -> MasterKey:
        return self.keys[self.current]

    def with_new_version(self) -> MasterKeyRing:
        """Return this ring plus a fresh random key, made current."""
        version = max(self.keys) + 1
        keys = {**self.keys, version: MasterKey(version, secrets.token_bytes(KEY_BYTES))}
        return MasterKeyRing(version, keys)

    def to_json(self) -> str:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        document = {
            "format": KEYRING_FORMAT,
            "current": self.current,
            "keys": [
                {
                    "version": key.version,
                    "key_id": key.key_id,
                    "key": base64.b64encode(key.key).decode(),
                    "written_at": created,
                }
                for key in sorted(self.keys.values(), key=lambda k: k.version)
            ],
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: Path) -> MasterKeyRing:
        """Parse the file's contents; errors name the file, never its contents."""
        try:
            document: Any = json.loads(text)
            if document.get("format") != KEYRING_FORMAT:
                raise MasterKeyError(f"{source} is not a CryptoPulse master key ring ({KEYRING_FORMAT})")
            keys: dict[int, MasterKey] = {}
            for entry in document["keys"]:
                version = int(entry["version"])
                key = base64.b64decode(entry["key"], validate=True)
                if len(key) != KEY_BYTES or version < 1 or version in keys:
                    raise MasterKeyError(f"{source} holds an invalid master key entry (v{version})")
                keys[version] = MasterKey(version, key)
            return cls(int(document["current"]), keys)
        except MasterKeyError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise MasterKeyError(f"{source} is not a valid master key ring file") from None


class MasterKeyFile:
    """Reads, creates and rotates the key ring stored at ``path``.

    Creation and rotation hold an exclusive ``flock`` on a sidecar lock file, so two processes
    starting at once agree on one key, and two rotations never lose a version.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"MasterKeyFile({str(self._path)!r})"

    def load(self) -> MasterKeyRing:
        """Return the ring in the file, creating the file with one fresh key when it is missing."""
        if self._path.exists():
            return self._read()
        with self._locked():
            if self._path.exists():
                return self._read()
            ring = MasterKeyRing(1, {1: MasterKey(1, secrets.token_bytes(KEY_BYTES))})
            self._write(ring)
            return ring

    def rotate(self) -> MasterKeyRing:
        """Add a new key version, make it current, write the file atomically, return the new ring.

        With no file yet, this creates it with version 1 (there is nothing to rotate from).
        """
        with self._locked():
            current = self._read() if self._path.exists() else None
            ring = (
                current.with_new_version()
                if current is not None
                else MasterKeyRing(1, {1: MasterKey(1, secrets.token_bytes(KEY_BYTES))})
            )
            self._write(ring)
            return ring

    def _read(self) -> MasterKeyRing:
        mode = stat.S_IMODE(self._path.stat().st_mode)
        if mode & 0o077:
            raise MasterKeyError(
                f"{self._path} is readable or writable by group or others (mode {mode:04o}); "
                f"restrict it with `chmod 600 {self._path}`"
            )
        return MasterKeyRing.from_json(self._path.read_text(), self._path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self._path.with_name(self._path.name + ".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _write(self, ring: MasterKeyRing) -> None:
        # A temporary file created 0600 with O_EXCL, then renamed over the old one: readers see
        # the old ring or the new one, never half a file, and never a moment of wider mode.
        temporary = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(ring.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        directory = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


__all__ = ["KEYRING_FORMAT", "KEY_BYTES", "MasterKey", "MasterKeyFile", "MasterKeyRing", "key_id_of"]
