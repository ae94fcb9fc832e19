"""Which WebSocket API connections receive which account's user data events.

Kept apart from the routes so the exchange can own one without importing the web layer; events
are serialised once per account and wrapped per subscription, as Binance wraps them.
"""

from __future__ import annotations

import json
from typing import Any

from services.paper_exchange.hub import GOING_AWAY, Connection


class UserStreams:
    """Which connections receive which account's events."""

    def __init__(self) -> None:
        self.subscribers: dict[str, dict[Connection, int]] = {}  # api key → connection → subscription id
        self.connections: set[Connection] = set()

    def publish(self, api_key: str, events: list[dict[str, Any]]) -> None:
        subscribed = self.subscribers.get(api_key)
        if not subscribed:
            return
        payloads = [json.dumps(e, separators=(",", ":")) for e in events]
        for connection, sid in subscribed.items():
            connection.push([f'{{"subscriptionId":{sid},"event":{p}}}' for p in payloads])

    def remove(self, connection: Connection) -> None:
        self.connections.discard(connection)
        for key in [k for k, subs in self.subscribers.items() if connection in subs]:
            del self.subscribers[key][connection]
            if not self.subscribers[key]:
                del self.subscribers[key]

    def close_all(self) -> int:
        """The ``drop_user_streams`` fault: close every WebSocket API connection now."""
        for connection in self.connections:
            connection.close_soon(GOING_AWAY, "user data stream dropped (fault)")
        return len(self.connections)
