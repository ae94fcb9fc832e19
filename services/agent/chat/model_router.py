"""Which model graph answers a user's chat request, from their model preference.

Each request reads the preference once, as the user (one query under RLS), so a change in
Settings applies from the next message. The provider order it gives (``llm.preference``) is
compiled into a graph once and kept: the server's orders are few, and a user's own provider is
keyed by its key id, so a replaced key builds a new client and the old one ages out. The key is
decrypted only when its graph is built, as ``service_role``.

A preference that cannot be read (the database briefly away) falls back to the server's order
rather than failing the chat; an own key that no longer opens is left out, with a warning. An own
provider on a private network answers nothing unless the server allows it (``endpoint_guard``):
the parser answers, saying why.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.agent.graph.graph import CopilotGraph
from services.agent.llm.clients import build_fallback_chat
from services.agent.llm.endpoint_guard import private_address
from services.agent.llm.fallback import FallbackChat
from services.agent.llm.metrics import LlmMetrics
from services.agent.llm.preference import own_llm_provider, provider_order
from shared.config.settings import LlmProvider
from shared.db.repositories.model_preferences import DEFAULT, ModelPreferenceInfo, ModelPreferenceRepository
from shared.domain.model_choice import OFFLINE, OWN
from shared.secrets.base import SecretsError

_log = logging.getLogger(__name__)

NO_MODEL = "no model is configured"
OFFLINE_CHOSEN = "you chose offline answers in Settings"
NO_ACCOUNT = "this chat has no account to count model use against"
OWN_PRIVATE = (
    "your own model provider's address is on a private network, which this server does not allow; "
    "change it in Settings"
)
MAX_GRAPHS = 256
"""Compiled graphs kept: every server order, and the own providers of recently active users."""

GraphBuilder = Callable[[FallbackChat], CopilotGraph]


@dataclass(frozen=True, slots=True)
class ModelRoute:
    """The graph to answer with, or why the parser answers instead."""

    graph: CopilotGraph | None
    offline_reason: str | None = None


class ModelRouter:
    """Picks the graph for each request (see the module docstring)."""

    def __init__(
        self,
        server: Sequence[LlmProvider],
        preferences: ModelPreferenceRepository,
        build: GraphBuilder,
        metrics: LlmMetrics | None = None,
        *,
        allow_private: bool = False,
        max_graphs: int = MAX_GRAPHS,
    ) -> None:
        self._server = tuple(server)
        self._preferences = preferences
        self._build = build
        self._metrics = metrics
        self._allow_private = allow_private
        self._max_graphs = max_graphs
        self._graphs: OrderedDict[tuple[object, ...], CopilotGraph] = OrderedDict()

    async def route(self, user_id: str) -> ModelRoute:
        try:
            user = uuid.UUID(user_id)
        except ValueError:  # not a users.id: no preference, and nothing to count model use against
            return ModelRoute(None, NO_ACCOUNT)
        preference = await self._preference(user)
        if preference.choice == OFFLINE:
            return ModelRoute(None, OFFLINE_CHOSEN)
        server_order = provider_order(self._server, preference.choice, None)
        own = preference.own if preference.choice == OWN else None
        if own is not None:
            if not self._allow_private:
                inside = await private_address(own.endpoint)
                if inside is not None:
                    _log.warning(
                        "own model endpoint refused", extra={"user_id": str(user), "address": inside}
                    )
                    return ModelRoute(None, OWN_PRIVATE)
            key: tuple[object, ...] = (user, preference.own_key_id, own.preset, own.endpoint, own.model)
            graph = self._cached(key)
            if graph is not None:
                return ModelRoute(graph)
            own_provider = await self._own_provider(user, preference)
            if own_provider is not None:
                return self._built(key, (own_provider, *server_order))
        key = tuple(p.name for p in server_order)
        graph = self._cached(key)
        return ModelRoute(graph) if graph is not None else self._built(key, server_order)

    def _cached(self, key: tuple[object, ...]) -> CopilotGraph | None:
        graph = self._graphs.get(key)
        if graph is not None:
            self._graphs.move_to_end(key)
        return graph

    def _built(self, key: tuple[object, ...], order: Sequence[LlmProvider]) -> ModelRoute:
        chat = build_fallback_chat(order, self._metrics)
        if chat is None:
            return ModelRoute(None, NO_MODEL)
        graph = self._build(chat)
        self._graphs[key] = graph
        while len(self._graphs) > self._max_graphs:
            self._graphs.popitem(last=False)
        return ModelRoute(graph)

    async def _preference(self, user: uuid.UUID) -> ModelPreferenceInfo:
        try:
            return await self._preferences.get(user)
        except Exception as e:  # the chat still answers, in the server's order
            _log.warning(
                "model preference not read; using the server's order",
                extra={"user_id": str(user), "error": type(e).__name__},
            )
            return DEFAULT

    async def _own_provider(self, user: uuid.UUID, preference: ModelPreferenceInfo) -> LlmProvider | None:
        own = preference.own
        assert own is not None
        if preference.own_key_id is None:
            return own_llm_provider(own, None)  # a keyless endpoint (Ollama, a custom one)
        try:
            api_key = await self._preferences.load_own_key(user, preference.own_key_id)
        except SecretsError as e:
            _log.warning(
                "own model key does not open; using the server's order",
                extra={"user_id": str(user), "reason": type(e).__name__},
            )
            return None
        if api_key is None:  # replaced or removed since the preference was read
            return None
        return own_llm_provider(own, api_key)


__all__ = [
    "NO_ACCOUNT",
    "NO_MODEL",
    "OFFLINE_CHOSEN",
    "OWN_PRIVATE",
    "GraphBuilder",
    "ModelRoute",
    "ModelRouter",
]
