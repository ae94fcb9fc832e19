"""Reading the trading stream for a replay: an ephemeral pull consumer, nothing left behind.

The consumer is created for this run only (no durable name, no acks, dropped by the server a
minute after the run stops reading, and deleted on the way out), starts at a stream sequence or
a time, and filters the server side to the subjects a timeline is made of (and to one user's
subjects with ``user``). Its pending count at creation fixes the end of the run: messages
published while the replay reads are not part of it, so a replay of a live system ends.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError

from shared.messages import subjects
from shared.messages.subjects import TRADING

_V1_TOKENS = 9


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


def filter_subjects(user: str | None) -> list[str]:
    """The subjects of intents, decisions, approvals, order commands and order events.

    Order commands go to a venue's subject, not a user's: with ``user`` they are read for every
    user and the others' are skipped after decoding.
    """
    who = subjects.ANY if user is None else user
    return [
        subjects.intents(who),
        subjects.decisions(who),
        subjects.approvals(who),
        subjects.order_commands(subjects.ANY),
        subjects.order_events(who),
    ]


def position(reply: str) -> tuple[int, int]:
    """(stream sequence, stored time in ns) from a JetStream message's reply subject."""
    tokens = reply.split(".")
    if len(tokens) == _V1_TOKENS:  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>
        return int(tokens[5]), int(tokens[7])
    return int(tokens[Msg.Ack.StreamSeq]), int(tokens[Msg.Ack.Timestamp])


@dataclass(slots=True)
class Reading:
    """An open replay consumer: how many messages it will deliver, and its subscription."""

    js: JetStreamContext
    stream: str
    consumer: str
    total: int
    subscription: Any
    delivered: int = 0

    async def batches(self, batch: int) -> AsyncIterator[list[Msg]]:
        """Yield the messages in stream order, ``batch`` at most at a time, until ``total``."""
        while self.delivered < self.total:
            try:
                messages = await self.subscription.fetch(min(batch, self.total - self.delivered), timeout=5.0)
            except (FetchTimeoutError, TimeoutError):
                continue  # the server is slow (or a fetch came back empty): ask again
            self.delivered += len(messages)
            yield messages


def consumer_config(window: Window, name: str) -> ConsumerConfig:
    deliver: dict[str, Any] = {"deliver_policy": DeliverPolicy.ALL}
    if window.since_seq is not None:
        deliver = {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": window.since_seq}
    elif window.since is not None:
        deliver = {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": window.since}
    return ConsumerConfig(
        name=name,
        ack_policy=AckPolicy.NONE,
        filter_subjects=filter_subjects(window.user),
        inactive_threshold=60.0,
        mem_storage=True,
        num_replicas=1,
        **deliver,
    )


@contextlib.asynccontextmanager
async def open_reading(
    js: JetStreamContext, window: Window, stream: str = TRADING.name
) -> AsyncIterator[Reading]:
    """Create the run's consumer, yield it, and delete it (whatever happened) on the way out."""
    name = f"replay-{uuid.uuid4().hex[:12]}"
    info = await js.add_consumer(stream, consumer_config(window, name))
    try:
        subscription = await js.pull_subscribe_bind(consumer=name, stream=stream)
        try:
            yield Reading(js, stream, name, int(info.num_pending or 0), subscription)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
    finally:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, name)


__all__ = ["Reading", "Window", "consumer_config", "filter_subjects", "open_reading", "position"]
