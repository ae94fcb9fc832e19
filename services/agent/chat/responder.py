"""Answer one chat request: with the model graph the user's preference picks when there is one and
the user has budget left, otherwise (or when the model fails) with the offline parser, saying so
and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from services.agent.chat.chunks import coalesce, split_text
from services.agent.chat.conversations import in_conversation
from services.agent.chat.model_reply import TURN_SEPARATOR, model_tokens
from services.agent.chat.model_router import NO_ACCOUNT, NO_MODEL, OFFLINE_CHOSEN, OWN_PRIVATE, ModelRoute
from services.agent.chat.replies import ReplyWriter
from services.agent.graph.context import ChatContext
from services.agent.graph.graph import CopilotGraph
from services.agent.llm.budget import TokenBudget
from services.agent.llm.errors import LlmError, ProviderRejected
from services.agent.llm.preference import is_own
from services.agent.metrics import ChatMetrics
from services.agent.offline import OfflineResponder
from shared.messages.chat import ChatRequested

_log = logging.getLogger(__name__)

BUDGET_SPENT = "you have used today's model budget"
MODEL_FAILED = "the model could not answer just now"
OWN_REFUSED = "your own model provider refused the request; check its key and model in Settings"
REASON_LABELS = {
    NO_MODEL: "no_model",
    BUDGET_SPENT: "budget",
    MODEL_FAILED: "model_failed",
    NO_ACCOUNT: "no_account",
    OFFLINE_CHOSEN: "chose_offline",
    OWN_REFUSED: "own_refused",
    OWN_PRIVATE: "own_private",
}
"""Each offline reason's ``agent_offline_reasons_total`` label."""


def offline_notice(reason: str) -> str:
    """The one line that opens an offline answer."""
    return f"Offline answer ({reason}):"


class ModelRoutes(Protocol):
    """Picks the graph for a user's request (``ModelRouter``), or says why none answers."""

    async def route(self, user_id: str) -> ModelRoute: ...


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
        models: ModelRoutes,
        budget: TokenBudget,
        metrics: ChatMetrics,
        chunking: Chunking = Chunking(),
    ) -> None:
        self._offline = offline
        self._models = models
        self._metrics = metrics
        self._budget = budget
        self._chunking = chunking

    async def answer(self, request: ChatRequested, writer: ReplyWriter) -> None:
        """Write the whole answer to ``request`` into ``writer`` (the caller closes it)."""
        context = ChatContext(
            user_id=request.user_id, request_id=request.message_id, conversation_id=request.conversation_id
        )
        with in_conversation(request.conversation_id):
            route = await self._models.route(request.user_id)
            reason = route.offline_reason or await self._budget_reason(request.user_id)
            if reason is None:
                assert route.graph is not None
                try:
                    await self._stream_model(route.graph, request.text, context, writer)
                except LlmError as e:
                    _log.warning(
                        "the model failed; answering offline",
                        extra={"request_id": request.message_id, "error": str(e)[:500]},
                    )
                    own = isinstance(e, ProviderRejected) and is_own(e.provider)
                    reason = OWN_REFUSED if own else MODEL_FAILED
                else:
                    self._metrics.replies.labels("model").inc()
                    return
            await self._answer_offline(request.text, context, writer, reason)
            self._metrics.replies.labels("offline").inc()
            self._metrics.offline_reasons.labels(REASON_LABELS[reason]).inc()

    async def _budget_reason(self, user_id: str) -> str | None:
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


__all__ = [
    "BUDGET_SPENT",
    "MODEL_FAILED",
    "NO_ACCOUNT",
    "NO_MODEL",
    "OFFLINE_CHOSEN",
    "OWN_REFUSED",
    "ChatResponder",
    "Chunking",
    "ModelRoutes",
    "offline_notice",
]
