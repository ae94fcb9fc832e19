"""Where validated trade intents go: to the risk gate over JetStream, and nowhere else.

The agent never talks to the executor or an exchange; an ``IntentSink`` only accepts a
``TradeIntentCreated``, the one validated schema every proposal passes through.
"""

from __future__ import annotations

from typing import Protocol

from shared.messages import subjects
from shared.messages.intents import TradeIntentCreated
from shared.messaging.publisher import JetStreamPublisher
from shared.telemetry.tracing import mark_correlation


class IntentSink(Protocol):
    async def submit(self, intent: TradeIntentCreated) -> None: ...


class JetStreamIntentSink:
    """Publishes on ``intent.<user>``; the intent id is the ``Nats-Msg-Id``, so a retry is dropped."""

    def __init__(self, publisher: JetStreamPublisher) -> None:
        self._publisher = publisher

    async def submit(self, intent: TradeIntentCreated) -> None:
        mark_correlation(intent.correlation_id)  # the chat message's span now names its intent
        await self._publisher.publish(subjects.intents(intent.user_id), intent)
