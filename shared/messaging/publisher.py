"""Publish messages to JetStream with de-duplication ids, acknowledgement and trace context.

Each publish runs in a PRODUCER span (when tracing is on and the message belongs to a trace, see
``shared.telemetry.tracing.producing``) whose context goes out in the headers, with the
correlation id.

Every publish waits for the stream's acknowledgement: a message is either stored or the caller
hears about it. ``publish_batch`` pipelines many publishes and waits for all their acks, which is
what lets the feed keep up with thousands of ticks per second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import PubAck
from prometheus_client import CollectorRegistry, Counter

from shared.messages.base import Message
from shared.telemetry.tracing import CORRELATION_HEADER, MSG_ID_HEADER, inject_headers, producing


class PublishFailed(RuntimeError):
    """The stream did not acknowledge a message; it may not be stored."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    message: Message


class PublisherMetrics:
    """Counters of what a service published, by stream subject family."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.published = Counter(
            "messages_published_total",
            "Messages acknowledged by JetStream",
            ["service", "family"],
            registry=registry,
        )
        self.duplicates = Counter(
            "messages_duplicate_total",
            "Publishes JetStream dropped as duplicates (same Nats-Msg-Id)",
            ["service", "family"],
            registry=registry,
        )
        self.failures = Counter(
            "messages_publish_failures_total",
            "Publishes that were not acknowledged",
            ["service", "family"],
            registry=registry,
        )
        self.service = service


def _family(subject: str) -> str:
    # "md.trade.paper.BTCUSDT" -> "md.trade": a bounded label set, whatever the symbols or users.
    return ".".join(subject.split(".")[:2])


class JetStreamPublisher:
    """Publishes ``Message`` models; ``Nats-Msg-Id`` is the message's id, so republishing is harmless."""

    def __init__(
        self,
        js: JetStreamContext,
        metrics: PublisherMetrics | None = None,
        *,
        timeout_s: float = 5.0,
    ) -> None:
        self._js = js
        self._metrics = metrics
        self._timeout_s = timeout_s

    async def publish(self, subject: str, message: Message) -> PubAck:
        """Publish one message and wait for its acknowledgement."""
        try:
            with producing(subject, message.message_id, message.correlation_id):
                ack = await self._js.publish(
                    subject, message.to_json(), timeout=self._timeout_s, headers=self._headers(message)
                )
        except Exception as e:
            self._count_failure(subject)
            raise PublishFailed(f"{subject}: {e}") from e
        self._count(subject, ack)
        return ack

    async def publish_batch(self, batch: Sequence[Outgoing]) -> list[PubAck]:
        """Publish all of ``batch`` pipelined; return acks in order; raise if any is not stored."""
        if not batch:
            return []
        futures = [await self._publish_async(item) for item in batch]
        results = await asyncio.wait_for(
            asyncio.gather(*futures, return_exceptions=True), timeout=self._timeout_s
        )
        acks: list[PubAck] = []
        failed: list[str] = []
        for item, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                self._count_failure(item.subject)
                failed.append(f"{item.subject}: {result!r}")
            else:
                self._count(item.subject, result)
                acks.append(result)
        if failed:
            raise PublishFailed(f"{len(failed)} of {len(batch)} not stored; first: {failed[0]}")
        return acks

    async def _publish_async(self, item: Outgoing) -> asyncio.Future[PubAck]:
        with producing(item.subject, item.message.message_id, item.message.correlation_id):
            return await self._js.publish_async(
                item.subject, item.message.to_json(), headers=self._headers(item.message)
            )

    @staticmethod
    def _headers(message: Message) -> dict[str, str]:
        headers = inject_headers({MSG_ID_HEADER: message.message_id})
        if message.correlation_id is not None:
            headers[CORRELATION_HEADER] = message.correlation_id
        return headers

    def _count(self, subject: str, ack: PubAck) -> None:
        if self._metrics is None:
            return
        family = _family(subject)
        if ack.duplicate:
            self._metrics.duplicates.labels(self._metrics.service, family).inc()
        else:
            self._metrics.published.labels(self._metrics.service, family).inc()

    def _count_failure(self, subject: str) -> None:
        if self._metrics is not None:
            self._metrics.failures.labels(self._metrics.service, _family(subject)).inc()
