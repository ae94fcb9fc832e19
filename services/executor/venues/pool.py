"""One ``BinanceVenue`` per user on the executor's venue, built at first use with that user's key.

Keys are decrypted (``load_for_signing``) only here, when a client is built, and live on only
inside the ccxt client that signs with them. All clients share the venue's ``RateGate``, because
Binance limits by IP. ``on_open`` lets the user stream start watching a new account.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from services.executor.venues.binance import BinanceVenue
from services.executor.venues.errors import VenueFatal
from services.executor.venues.rate_gate import RateGate
from shared.db.models.exchange_keys import Venue as VenueLiteral
from shared.db.repositories.exchange_keys import ExchangeKeyError, ExchangeKeyRepository
from shared.exchange.binance import create_binance
from shared.secrets.base import SecretsError

OnOpen = Callable[[uuid.UUID, BinanceVenue], Awaitable[None]]


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
        self._lock = asyncio.Lock()
        self.on_open: OnOpen | None = None

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
            ccxt_client = create_binance(
                venue=self.venue,
                paper_url=self._paper_url,
                api_key=credentials.api_key.get_secret_value(),
                secret=credentials.api_secret.get_secret_value(),
                pro=True,
                options={"fetchOpenOrders": {"warnWithoutSymbol": False}},
            )
            client = BinanceVenue(self.venue, ccxt_client, self.gate)
            self._clients[user_id] = client
        if self.on_open is not None:
            await self.on_open(user_id, client)
        return client

    async def drop(self, user_id: uuid.UUID) -> None:
        async with self._lock:
            client = self._clients.pop(user_id, None)
        if client is not None:
            await client.close()

    async def close(self) -> None:
        for user_id in list(self._clients):
            await self.drop(user_id)


__all__ = ["VenuePool"]
