"""Keep every message that failed validation or handling on ``dlq.<service>``, with the reason."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter

from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.system import DeadLettered
from shared.messaging.publisher import JetStreamPublisher

_log = logging.getLogger(__name__)
_MAX_PAYLOAD = 1_000_000


class DeadLetterBox:
    """Records a bad message: a log line, a metric, and the original bytes on the dead-letter stream."""

    def __init__(self, publisher: JetStreamPublisher, service: str, registry: CollectorRegistry) -> None:
        self._publisher = publisher
        self._service = service
        self._counter = Counter(
            "messages_dead_lettered_total",
            "Messages kept on the dead-letter stream instead of being processed",
            ["service", "subject_family"],
            registry=registry,
        )

    async def put(self, subject: str, payload: bytes, reason: str) -> None:
        self._counter.labels(self._service, ".".join(subject.split(".")[:2])).inc()
        _log.warning("dead-lettered a message on %s: %s", subject, reason[:500])
        letter = DeadLettered(
            service=self._service,
            subject=subject,
            reason=reason[:2000],
            payload=payload[:_MAX_PAYLOAD].decode("utf-8", errors="replace"),
            ts_event=utc_now(),
        )
        await self._publisher.publish(subjects.dead_letters(self._service), letter)
