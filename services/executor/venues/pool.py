"""One ``BinanceVenue`` per user on the executor's venue, built at first use with that user's key.

Keys are decrypted (``load_for_signing``) only here, when a client is built, and live on only
inside the ccxt client that signs with them. All clients share the venue's ``RateGate``, because
Binance limits by IP. ``on_open`` and ``on_close`` let the user stream start and stop watching an account.

A key the venue refuses (invalid, revoked, lacking permission) halts that user's trading on this
venue until the key changes: ``refuse`` drops the client and remembers a fingerprint of the
refused pair, and ``get`` raises ``VenueFatal`` without contacting the venue while the stored key
still has that fingerprint. Hammering an exchange with a dead key only earns an IP ban, which
would stop every user. Rotating the key (CLI or API) lifts the halt at the next order.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from services.executor.venues.base import Venue
from services.executor.venues.binance import BinanceVenue
from services.executor.venues.errors import VenueFatal
from services.executor.venues.rate_gate import RateGate
from shared.db.models.exchange_keys import Venue as VenueLiteral
from shared.db.repositories.exchange_keys import ExchangeKeyError, ExchangeKeyRepository
from shared.exchange.binance import create_binance
from shared.secrets.base import SecretsError

_log = logging.getLogger(__name__)
OnOpen = Callable[[uuid.UUID, BinanceVenue], Awaitable[None]]
OnClose = Callable[[uuid.UUID], Awaitable[None]]


class VenuePool:
    """Clients by user; ``get`` builds one on first use, ``drop`` forgets one whose key failed."""

    def __init__(
        self, venue: VenueLiteral, keys: ExchangeKeyRepository, gate: RateGate, *, paper_url: str | None
    ) -> None:
        self.venue = venue
        self.gate = gate
        self._keys = keys
        self._paper_url = paper_url
        self._clients: dict[uuid.UUID, BinanceVenue] = {}
        self._fingerprints: dict[uuid.UUID, str] = {}
        self._refused: dict[uuid.UUID, str] = {}
        self._lock = asyncio.Lock()
        self.on_open: OnOpen | None = None
        self.on_close: OnClose | None = None
        self.on_error: Callable[[str], None] = lambda _: None
        """Told the code of every error a venue answers (``errors.error_code``)."""

    @property
    def users(self) -> list[uuid.UUID]:
        return list(self._clients)

    async def get(self, user_id: uuid.UUID) -> BinanceVenue:
        """The user's client; raises ``VenueFatal`` when the user has no usable key on this venue."""
        async with self._lock:
            client = self._clients.get(user_id)
            if client is not None:
                return client
            try:
                credentials = await self._keys.load_for_signing(user_id, self.venue)
            except (ExchangeKeyError, SecretsError) as e:
                raise VenueFatal(
                    f"no usable {self.venue} key for user {user_id}: {type(e).__name__}"
                ) from None
            fingerprint = _fingerprint(
                credentials.api_key.get_secret_value(), credentials.api_secret.get_secret_value()
            )
            if self._refused.get(user_id) == fingerprint:
                raise VenueFatal(
                    f"the venue refused user {user_id}'s {self.venue} key; trading halted until it is rotated"
                )
            self._refused.pop(user_id, None)
            ccxt_client = create_binance(
                venue=self.venue,
                paper_url=self._paper_url,
                api_key=credentials.api_key.get_secret_value(),
                secret=credentials.api_secret.get_secret_value(),
                pro=True,
                options={"fetchOpenOrders": {"warnWithoutSymbol": False}},
                throttle=False,  # the RateGate paces by the venue's own weight headers and 429/418
            )
            client = BinanceVenue(self.venue, ccxt_client, self.gate, self.on_error)
            self._clients[user_id] = client
            self._fingerprints[user_id] = fingerprint
        if self.on_open is not None:
            await self.on_open(user_id, client)
        return client

    def halted(self, user_id: uuid.UUID) -> bool:
        return user_id in self._refused

    async def refuse(self, user_id: uuid.UUID, client: Venue) -> None:
        """The venue refused ``client``'s key: halt the user until the stored key changes."""
        async with self._lock:
            mine = self._clients.get(user_id)
            if mine is not client:  # a concurrent refusal got here first
                return
            self._refused[user_id] = self._fingerprints.pop(user_id)
            del self._clients[user_id]
        _log.error(
            "exchange key refused by the venue: trading halted for the user until the key is rotated",
            extra={"user_id": str(user_id), "venue": self.venue},
        )
        await self._closed(user_id, mine)

    async def drop(self, user_id: uuid.UUID) -> None:
        async with self._lock:
            client = self._clients.pop(user_id, None)
            self._fingerprints.pop(user_id, None)
        if client is not None:
            await self._closed(user_id, client)

    async def _closed(self, user_id: uuid.UUID, client: BinanceVenue) -> None:
        if self.on_close is not None:
            await self.on_close(user_id)
        await client.close()

    async def close(self) -> None:
        for user_id in list(self._clients):
            await self.drop(user_id)


def _fingerprint(api_key: str, api_secret: str) -> str:
    """Tells key pairs apart; a one-way digest, kept in memory only."""
    return hashlib.sha256(f"{api_key}\0{api_secret}".encode()).hexdigest()


__all__ = ["VenuePool"]
