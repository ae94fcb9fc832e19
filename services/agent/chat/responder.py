"""Answer one chat request: with the model when there is one and the user has budget left,
otherwise (or when the model fails) with the offline parser, saying so and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.agent.chat.chunks import coalesce, split_text
from services.agent.chat.conversations import in_conversation
from services.agent.chat.model_reply import TURN_SEPARATOR, model_tokens
from services.agent.chat.replies import ReplyWriter
from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph
from services.agent.llm.budget import TokenBudget
from services.agent.llm.errors import LlmError
from services.agent.metrics import ChatMetrics
from services.agent.offline import OfflineResponder
from shared.messages.chat import ChatRequested

_log = logging.getLogger(__name__)

NO_MODEL = "no model is configured"
BUDGET_SPENT = "you have used today's model budget"
MODEL_FAILED = "the model could not answer just now"
NO_ACCOUNT = "this chat has no account to count model use against"
REASON_LABELS = {
    NO_MODEL: "no_model",
    BUDGET_SPENT: "budget",
    MODEL_FAILED: "model_failed",
    NO_ACCOUNT: "no_account",
}
"""Each offline reason's ``agent_offline_reasons_total`` label."""


def offline_notice(reason: str) -> str:
    """The one line that opens an offline answer."""
    return f"Offline answer ({reason}):"


@dataclass(frozen=True, slots=True)
class Chunking:
    """How a streamed answer is cut into chunks (see ``chunks.coalesce``)."""

    max_chars: int = 200
    max_delay_s: float = 0.05


class ChatResponder:
    """Chooses the model or the offline parser for each request and writes the answer."""

    def __init__(
        self,
        offline: OfflineResponder,
        *,
        graph: CopilotGraph | None,
        budget: TokenBudget,
        metrics: ChatMetrics,
        chunking: Chunking = Chunking(),
    ) -> None:
        self._offline = offline
        self._metrics = metrics
        self._graph = graph
        self._budget = budget
        self._chunking = chunking

    async def answer(self, request: ChatRequested, writer: ReplyWriter) -> None:
        """Write the whole answer to ``request`` into ``writer`` (the caller closes it)."""
        context = ChatContext(
            user_id=request.user_id, request_id=request.message_id, conversation_id=request.conversation_id
        )
        with in_conversation(request.conversation_id):
            reason = await self._offline_reason(request.user_id)
            if reason is None:
                assert self._graph is not None
                try:
                    await self._stream_model(self._graph, request.text, context, writer)
                except LlmError as e:
                    _log.warning(
                        "the model failed; answering offline",
                        extra={"request_id": request.message_id, "error": str(e)[:500]},
                    )
                    reason = MODEL_FAILED
                else:
                    self._metrics.replies.labels("model").inc()
                    return
            await self._answer_offline(request.text, context, writer, reason)
            self._metrics.replies.labels("offline").inc()
            self._metrics.offline_reasons.labels(REASON_LABELS[reason]).inc()

    async def _offline_reason(self, user_id: str) -> str | None:
        if self._graph is None:
            return NO_MODEL
        try:
            remaining = await self._budget.remaining(user_id)
        except ValueError:  # not a users.id: nothing to count model use against
            return NO_ACCOUNT
        return BUDGET_SPENT if remaining <= 0 else None

    async def _stream_model(
        self, graph: CopilotGraph, text: str, context: ChatContext, writer: ReplyWriter
    ) -> None:
        chunks = coalesce(
            model_tokens(graph, text, context),
            max_chars=self._chunking.max_chars,
            max_delay_s=self._chunking.max_delay_s,
        )
        async for chunk in chunks:
            if isinstance(chunk, str):
                await writer.write(chunk)
            else:
                await writer.write("", chart=chunk)

    async def _answer_offline(
        self, text: str, context: ChatContext, writer: ReplyWriter, reason: str
    ) -> None:
        reply = await self._offline.reply(text, context)
        lead = TURN_SEPARATOR if writer.written else ""  # after what the model said before failing
        for piece in split_text(f"{lead}{offline_notice(reason)}\n{reply.text}", self._chunking.max_chars):
            await writer.write(piece)
