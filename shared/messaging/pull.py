"""A durable JetStream pull consumer with the project's ack policy, for any handler.

Ack after the handler has committed (``ack_sync``, so a lost ack is noticed); a handler error
NAKs with a growing delay and the message returns, up to ``max_deliver`` times, then it is
dead-lettered with the last error. ``Poison`` dead-letters at once (the message can never
succeed: it does not validate). Messages with the same ``key`` run in order; different keys run
concurrently, so one user's slow decision does not hold up another's.

By default a batch is fetched, run, and only then is the next one fetched: cheap, and right when
every message takes about as long. ``overlap=True`` keeps fetching while messages run (at most
``batch`` in flight), each queued behind the previous one of its key: for handlers whose time
varies by orders of magnitude, like a model's answer, where a batch barrier would make every
other user wait for the slowest.

Each message's handler runs in a CONSUMER span continuing the trace its publisher put in the
headers (``shared.telemetry.tracing.consuming``), so what the handler publishes stays in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import FetchTimeoutError

from shared.messaging.dead_letter import DeadLetterBox
from shared.telemetry.tracing import consuming, record_failure

_log = logging.getLogger(__name__)
Handler = Callable[[Any], Awaitable[None]]
KeyOf = Callable[[Any], str]
Outcome = Callable[[Any, str], None]
"""Told each message's outcome: ``handled``, ``retried`` or ``dead_lettered`` (for metrics)."""


class Poison(Exception):
    """The message can never be handled; ``str(error)`` is the recorded reason."""


class PullConsumer:
    """Fetches batches from one durable consumer and runs ``handler`` on each message."""

    def __init__(
        self,
        js: JetStreamContext,
        dead_letters: DeadLetterBox,
        *,
        stream: str,
        subject: str,
        durable: str,
        handler: Handler,
        key: KeyOf = lambda message: str(message.subject),
        max_deliver: int = 5,
        ack_wait_s: float = 30.0,
        batch: int = 100,
        outcome: Outcome | None = None,
        overlap: bool = False,
    ) -> None:
        self._js = js
        self._dead_letters = dead_letters
        self._stream = stream
        self._subject = subject
        self._durable = durable
        self._handler = handler
        self._key = key
        self._max_deliver = max_deliver
        self._ack_wait_s = ack_wait_s
        self._batch = batch
        self._outcome = outcome or (lambda _message, _outcome: None)
        self._overlap = overlap
        self.handled = 0
        self.stopping = False
        """Set before cancelling: nats-py may turn a cancelled ``fetch`` into a TimeoutError."""

    async def run(self) -> None:
        subscription = await self._js.pull_subscribe(
            self._subject,
            durable=self._durable,
            stream=self._stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT, ack_wait=self._ack_wait_s, max_deliver=self._max_deliver
            ),
        )
        try:
            if self._overlap:
                await self._run_overlapped(subscription)
            else:
                await self._run_batches(subscription)
        finally:
            await unsubscribe(subscription)

    async def _run_batches(self, subscription: Any) -> None:
        while not self.stopping:
            try:
                messages = await subscription.fetch(self._batch, timeout=1.0)
            except (FetchTimeoutError, TimeoutError):
                continue
            groups: dict[str, list[Any]] = {}
            for message in messages:
                groups.setdefault(self._key(message), []).append(message)
            await asyncio.gather(*(self._in_order(group) for group in groups.values()))

    async def _in_order(self, group: list[Any]) -> None:
        for message in group:
            await self._handle(message)

    async def _run_overlapped(self, subscription: Any) -> None:
        running: set[asyncio.Task[None]] = set()
        last_of_key: dict[str, asyncio.Task[None]] = {}
        try:
            while not self.stopping:
                if len(running) >= self._batch:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    messages = await subscription.fetch(self._batch - len(running), timeout=1.0)
                except (FetchTimeoutError, TimeoutError):
                    continue
                for message in messages:
                    key = self._key(message)
                    task = asyncio.create_task(self._after(last_of_key.get(key), message))
                    last_of_key[key] = task
                    running.add(task)
                    task.add_done_callback(running.discard)
                    task.add_done_callback(_forget_when_last(last_of_key, key))
        finally:
            for task in running:
                task.cancel()  # unacknowledged: JetStream delivers them again
            await asyncio.gather(*running, return_exceptions=True)

    async def _after(self, previous: asyncio.Task[None] | None, message: Any) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own; only the order matters here
        await self._handle(message)

    async def _handle(self, message: Any) -> None:
        with consuming(message.subject, message.headers):
            await self._handle_in_span(message)

    async def _handle_in_span(self, message: Any) -> None:
        try:
            await self._handler(message)
        except asyncio.CancelledError:
            raise
        except Poison as e:
            record_failure(e)
            await self._poison(message, str(e))
            return
        except Exception as e:
            record_failure(e)
            delivered = message.metadata.num_delivered
            details = {"subject": message.subject, "delivered": delivered, "error": repr(e)[:500]}
            _log.warning("message failed", extra=details)
            if delivered >= self._max_deliver:
                await self._poison(message, f"failed {delivered} times; last error {e!r}"[:2000])
            else:
                await message.nak(delay=min(2.0**delivered, 30.0))
                self._outcome(message, "retried")
            return
        await message.ack_sync()
        self.handled += 1
        self._outcome(message, "handled")

    async def _poison(self, message: Any, reason: str) -> None:
        await self._dead_letters.put(message.subject, message.data, reason)
        await message.term()
        self._outcome(message, "dead_lettered")


def _forget_when_last(
    last_of_key: dict[str, asyncio.Task[None]], key: str
) -> Callable[[asyncio.Task[None]], None]:
    """Drop the key's entry once its newest task is done (an older one finishing changes nothing)."""

    def forget(done: asyncio.Task[None]) -> None:
        if last_of_key.get(key) is done:
            del last_of_key[key]

    return forget


async def unsubscribe(subscription: Any) -> None:
    """Drop a pull subscription on the way out: a late "408" its last fetch left queued would
    otherwise hold NATS' drain, and so the shutdown, for the whole drain timeout."""
    with contextlib.suppress(Exception):
        await subscription.unsubscribe()


__all__ = ["Handler", "Outcome", "Poison", "PullConsumer", "unsubscribe"]
