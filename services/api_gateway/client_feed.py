"""One WebSocket client as the hubs see it: what it watches, who it is signed in as, its outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from shared.auth.tokens import Claims


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a socket is signed in as, until when."""

    user_id: str
    is_admin: bool
    expires_at: datetime

    @classmethod
    def of(cls, claims: Claims) -> SignedIn:
        return cls(str(claims.sub), claims.is_admin, claims.exp)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(eq=False)
class ClientFeed:
    """One WebSocket client's market subscription, sign-in and outbox."""

    capacity: int = 1000
    symbol: str | None = None
    interval: str | None = None
    signed_in: SignedIn | None = None
    outbox: asyncio.Queue[str] = field(init=False)
    dropped: int = 0

    def __post_init__(self) -> None:
        self.outbox = asyncio.Queue(self.capacity)

    def offer(self, event: str) -> bool:
        """Queue ``event``; when full, drop the oldest and say so."""
        if self.outbox.full():
            self.outbox.get_nowait()
            self.dropped += 1
            self.outbox.put_nowait(event)
            return False
        self.outbox.put_nowait(event)
        return True
