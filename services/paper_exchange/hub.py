"""Fan-out of stream events to WebSocket connections, without an await per message.

The publisher hands the hub one batch per simulator step: ``(stream name, serialised payload)``
pairs, each payload serialised once. The hub appends every connection's share to that
connection's outbox (a deque) and wakes its sender task, which writes the frames. Combined-stream
connections get each payload wrapped as ``{"stream":..,"data":..}``, built once per event. A
connection whose outbox outgrows ``max_pending`` is a slow consumer and is dropped, as Binance
does, rather than letting memory grow without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence

from services.paper_exchange.stream_names import StreamKind, StreamName, StreamTopic

Event = tuple[str, str]
"""A stream name and its serialised payload."""

Demand = dict[str, dict[StreamTopic, dict[str, int]]]
"""symbol → topic → stream name → number of connections subscribed to it."""

MAX_STREAMS = 1024
GOING_AWAY = 1001
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


class Connection:
    """One WebSocket client: its subscriptions and the frames waiting to be written."""

    def __init__(self, combined: bool, max_pending: int) -> None:
        self.combined = combined
        self.streams: dict[str, StreamName] = {}  # in subscription order, for LIST_SUBSCRIPTIONS
        self.outbox: deque[str] = deque()
        self.wakeup = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self._max_pending = max_pending

    def push(self, frames: Iterable[str]) -> None:
        if self.closing is not None:
            return
        self.outbox.extend(frames)
        if len(self.outbox) > self._max_pending:
            self.close_soon(TRY_AGAIN_LATER, "slow consumer: too many unsent messages")
        self.wakeup.set()

    def close_soon(self, code: int, reason: str) -> None:
        """Drop what is queued and have the sender close the socket with ``code``."""
        self.closing = (code, reason)
        self.outbox.clear()
        self.wakeup.set()


class Hub:
    """Every open stream connection and what they, together, subscribe to."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.demand: Demand = {}

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)

    def remove(self, connection: Connection) -> None:
        self.unsubscribe(connection, list(connection.streams))
        self.connections.discard(connection)

    def subscribe(self, connection: Connection, streams: Sequence[StreamName]) -> None:
        for stream in streams:
            if stream.name in connection.streams:
                continue
            connection.streams[stream.name] = stream
            names = self.demand.setdefault(stream.symbol, {}).setdefault(stream.topic, {})
            names[stream.name] = names.get(stream.name, 0) + 1

    def unsubscribe(self, connection: Connection, names: Iterable[str]) -> None:
        for name in names:
            stream = connection.streams.pop(name, None)
            if stream is None:
                continue
            topics = self.demand[stream.symbol]
            counts = topics[stream.topic]
            counts[name] -= 1
            if counts[name] == 0:
                del counts[name]
                if not counts:
                    del topics[stream.topic]
                    if not topics:
                        del self.demand[stream.symbol]

    def publish(self, events: Sequence[Event]) -> int:
        """Queue each connection's events; return how many frames were queued in all."""
        if not events:
            return 0
        wrapped: list[str | None] = [None] * len(events)
        queued = 0
        for connection in self.connections:
            subscribed = connection.streams
            if not subscribed:
                continue
            if connection.combined:
                frames: list[str] = []
                for i, (name, payload) in enumerate(events):
                    if name in subscribed:
                        frame = wrapped[i]
                        if frame is None:
                            frame = wrapped[i] = f'{{"stream":"{name}","data":{payload}}}'
                        frames.append(frame)
            else:
                frames = [payload for name, payload in events if name in subscribed]
            if frames:
                connection.push(frames)
                queued += len(frames)
        return queued

    def send_garbage(self) -> int:
        """The ``malformed_frames`` fault: send every connection a frame that is not JSON and, on each
        trade stream, a trade with a negative price and one whose price is not a number at all;
        return how many frames were sent."""
        sent = 0
        for connection in self.connections:
            frames = ["}{ this is not json"]
            for name, stream in connection.streams.items():
                if stream.topic[0] is not StreamKind.TRADE:
                    continue
                for price in ("-1", "abc"):
                    bad = f'{{"e":"trade","E":0,"s":"{stream.symbol}","t":0,"p":"{price}","q":"1","T":0}}'
                    frames.append(f'{{"stream":"{name}","data":{bad}}}' if connection.combined else bad)
            connection.push(frames)
            sent += len(frames)
        return sent

    def close_all(self, code: int, reason: str) -> int:
        """Close every open connection now (the ``drop_streams`` fault); return how many."""
        for connection in self.connections:
            connection.close_soon(code, reason)
        return len(self.connections)
