"""Reading the trading stream for a replay: an ephemeral pull consumer, nothing left behind.

The consumer is created for this run only (no durable name, no acks, dropped by the server a
minute after the run stops reading, and deleted on the way out) and starts at a stream sequence
or a time. Its pending count at creation fixes the end of the run: messages published while the
replay reads are not part of it, so a replay of a live system ends.

It reads the whole stream and ``Selection`` picks the subjects a timeline is made of (and one
user's): a consumer with several filter subjects delivered 2,500 messages/s where an unfiltered
one delivered 33,000 (nats-server 2.x, this machine), and a subject test costs next to nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, Header

from shared.messages import subjects
from shared.messages.subjects import TRADING

_V1_TOKENS = 9
_PULL_EXPIRES_NS = 5_000_000_000
_YOUNGEST_COLLECTED_EVERY = 100_000


@dataclass(frozen=True, slots=True)
class Window:
    """Where the replay starts and stops, and whose messages it reads."""

    since_seq: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        if self.since_seq is not None and self.since is not None:
            raise ValueError("start at a sequence or at a time, not both")
        if self.since_seq is not None and self.since_seq < 1:
            raise ValueError("stream sequences start at 1")
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("times need a zone (e.g. 2026-12-01T00:00Z)")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValueError("--until must be after --since")


class Selection:
    """Which subjects a replay keeps: the timeline families, and with ``user`` only that user's.

    Order commands go to a venue's subject, not a user's: with ``user`` they are kept here and
    the other users' are skipped after decoding.
    """

    def __init__(self, user: str | None) -> None:
        families = (subjects.intents, subjects.decisions, subjects.approvals, subjects.order_events)
        self._families = tuple(family(subjects.ANY).removesuffix(subjects.ANY) for family in families)
        self._commands = subjects.order_commands(subjects.ANY).removesuffix(subjects.ANY)
        self._suffix = None if user is None else f".{user}"

    def __call__(self, subject: str) -> bool:
        if subject.startswith(self._commands):
            return True
        if not subject.startswith(self._families):
            return False
        return self._suffix is None or subject.endswith(self._suffix)


def position(reply: str) -> tuple[int, int]:
    """(stream sequence, stored time in ns) from a JetStream message's reply subject."""
    if reply.count(".") == _V1_TOKENS - 1:  # $JS.ACK.<stream>.<consumer>.<n>.<sseq>.<cseq>.<ns>.<pending>
        _, sseq, _, ns, _ = reply.rsplit(".", 4)  # the stream's and consumer's names are not split
        return int(sseq), int(ns)
    tokens = reply.split(".")
    return int(tokens[Msg.Ack.StreamSeq]), int(tokens[Msg.Ack.Timestamp])


class Reading:
    """An open replay consumer: how many messages it will deliver, read in batches.

    nats-py's ``fetch`` waits for each message of a batch with a task and a timeout of its own,
    which costs more than everything the replay does with the message. Here a batch is one pull
    request whose messages a plain subscription callback collects; the next batch is requested
    before the caller works on the current one, so the server sends while the replay decodes.
    """

    def __init__(self, nc: Client, stream: str, consumer: str, total: int) -> None:
        self.nc, self.stream, self.consumer, self.total = nc, stream, consumer, total
        self.delivered = 0

    async def _more_to_come(self) -> bool:
        info = await self.nc.jetstream().consumer_info(self.stream, self.consumer)
        return bool(info.num_pending)

    async def batches(self, batch: int) -> AsyncIterator[list[Msg]]:
        """Yield the messages in stream order, ``batch`` at most at a time, until ``total``."""
        arrived: list[Msg] = []
        asked = 0
        done = asyncio.Event()

        async def collect(message: Msg) -> None:
            if message.headers and message.headers.get(Header.STATUS):
                done.set()  # 404/408: this request will deliver nothing more
                return
            arrived.append(message)
            if len(arrived) >= asked:
                done.set()

        inbox = self.nc.new_inbox()
        subscription = await self.nc.subscribe(inbox, cb=collect, pending_msgs_limit=4 * batch + 16)
        next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.consumer}"

        async def ask(count: int) -> None:
            nonlocal asked
            asked = count
            done.clear()
            request = {"batch": count, "expires": _PULL_EXPIRES_NS}
            await self.nc.publish(next_subject, json.dumps(request).encode(), reply=inbox)

        try:
            if self.total > 0:
                await ask(min(batch, self.total))
            while self.delivered < self.total:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), _PULL_EXPIRES_NS / 1e9 + 5)
                messages, arrived = arrived, []
                self.delivered += len(messages)
                if not messages and not await self._more_to_come():
                    break  # aged out of the stream while we read: what is left is gone
                if self.delivered < self.total:
                    await ask(min(batch, self.total - self.delivered))
                if messages:
                    yield messages
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()


def consumer_config(window: Window, name: str) -> ConsumerConfig:
    deliver: dict[str, Any] = {"deliver_policy": DeliverPolicy.ALL}
    if window.since_seq is not None:
        deliver = {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": window.since_seq}
    elif window.since is not None:
        deliver = {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": window.since}
    return ConsumerConfig(
        name=name,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=60.0,
        mem_storage=True,
        num_replicas=1,
        **deliver,
    )


@contextlib.contextmanager
def fewer_collections(allocations: int = _YOUNGEST_COLLECTED_EVERY) -> Iterator[None]:
    """Run the cyclic garbage collector's youngest pass every ``allocations`` allocations.

    A read allocates several objects per message (nats-py's message and headers, the decoded
    fields, the timeline's step), nearly all freed by reference counting the moment they are
    done with. At the default (a pass every 700) the collector walked them a few times per
    batch and found nothing: 3 to 4 µs a message, a sixth of a replay. Cycles still get
    collected, just less often. Restored on the way out.
    """
    previous = gc.get_threshold()
    gc.set_threshold(allocations, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextlib.asynccontextmanager
async def open_reading(nc: Client, window: Window, stream: str = TRADING.name) -> AsyncIterator[Reading]:
    """Create the run's consumer, yield it, and delete it (whatever happened) on the way out.

    The whole read runs with ``fewer_collections``: the raw reads the benchmark compares the
    replay with go through here too, so both run with the same collector.
    """
    js = nc.jetstream()
    name = f"replay-{uuid.uuid4().hex[:12]}"
    info = await js.add_consumer(stream, consumer_config(window, name))
    try:
        with fewer_collections():
            yield Reading(nc, stream, name, int(info.num_pending or 0))
    finally:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, name)


__all__ = [
    "Reading",
    "Selection",
    "Window",
    "consumer_config",
    "fewer_collections",
    "open_reading",
    "position",
]
