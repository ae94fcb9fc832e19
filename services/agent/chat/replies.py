"""Publish one reply as numbered ``ChatReplied`` chunks on ``chat.reply.<user>``.

Each chunk's ``Nats-Msg-Id`` derives from (request id, sequence): answering a redelivered request
republishes the same ids, and JetStream drops the copies within the CHAT stream's window.
"""

from __future__ import annotations

from shared.messages import subjects
from shared.messages.base import derived_id, utc_now
from shared.messages.charts import ChartSpec
from shared.messages.chat import ChatReplied
from shared.messaging.publisher import JetStreamPublisher


def chunk_id(request_id: str, sequence: int) -> str:
    """The deterministic message id of chunk ``sequence`` of the reply to ``request_id``."""
    return derived_id("chat-reply", request_id, sequence)


class ReplyWriter:
    """Numbers and publishes the chunks of one reply; the last one published is ``final``.

    The newest chunk is held back until the next arrives or ``close`` is called, so the final
    flag rides on real text instead of an empty trailing message.
    """

    def __init__(
        self,
        publisher: JetStreamPublisher,
        *,
        user_id: str,
        conversation_id: str,
        request_id: str,
        correlation_id: str | None = None,
    ) -> None:
        self._publisher = publisher
        self._user_id = user_id
        self._conversation_id = conversation_id
        self._request_id = request_id
        self._correlation_id = correlation_id
        self._held: tuple[str, ChartSpec | None] | None = None
        self._sequence = 0
        self.closed = False

    @property
    def written(self) -> bool:
        """Whether any text has been given to this reply yet."""
        return self._held is not None or self._sequence > 0

    async def write(self, text: str, chart: ChartSpec | None = None) -> None:
        """Add a chunk of text, or a chart (a chunk with neither is ignored)."""
        if self.closed:
            raise RuntimeError(f"reply to {self._request_id} is already final")
        if not text and chart is None:
            return
        if self._held is not None:
            await self._publish(*self._held, final=False)
        self._held = (text, chart)

    async def close(self) -> None:
        """Publish the held chunk as the final one (an empty final chunk if nothing was written)."""
        if self.closed:
            return
        await self._publish(*(self._held or ("", None)), final=True)
        self._held = None
        self.closed = True

    async def _publish(self, text: str, chart: ChartSpec | None, *, final: bool) -> None:
        chunk = ChatReplied(
            message_id=chunk_id(self._request_id, self._sequence),
            correlation_id=self._correlation_id,
            user_id=self._user_id,
            conversation_id=self._conversation_id,
            request_id=self._request_id,
            sequence=self._sequence,
            text=text,
            final=final,
            chart=chart,
            ts_event=utc_now(),
        )
        await self._publisher.publish(subjects.chat_replies(self._user_id), chunk)
        self._sequence += 1
