"""The handler of ``chat.request.<user>``: validate, check the sender, answer, finish the reply.

A request that does not validate, or whose user is not the one its subject names (the gateway
publishes each user's requests on their own subject), can never be answered: it is
dead-lettered with the reason and nothing is published for it.
"""

from __future__ import annotations

from nats.aio.msg import Msg
from pydantic import ValidationError

from services.agent.chat.replies import ReplyWriter
from services.agent.chat.responder import ChatResponder
from shared.messages import subjects
from shared.messages.chat import ChatRequested
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.pull import Poison


def read_request(message: Msg) -> ChatRequested:
    """Return the request in ``message``, or raise ``Poison`` saying why it cannot be answered."""
    try:
        request = ChatRequested.model_validate_json(message.data)
    except ValidationError as e:
        raise Poison(f"invalid chat request: {e}") from None
    if message.subject != subjects.chat_requests(request.user_id):
        raise Poison(f"chat request of user {request.user_id!r} arrived on {message.subject!r}")
    return request


class ChatRequestHandler:
    """Answers each request as one streamed reply (chunks 0..n, the last final)."""

    def __init__(self, publisher: JetStreamPublisher, responder: ChatResponder) -> None:
        self._publisher = publisher
        self._responder = responder

    async def on_request(self, message: Msg) -> None:
        request = read_request(message)
        writer = ReplyWriter(
            self._publisher,
            user_id=request.user_id,
            conversation_id=request.conversation_id,
            request_id=request.message_id,
            correlation_id=request.correlation_id,
        )
        await self._responder.answer(request, writer)
        await writer.close()
