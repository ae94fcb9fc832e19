"""Which trace each pending proposal belongs to, so its approval continues the chat's trace.

A person approves minutes later over REST, in a request of its own; without this the order
and its fill would land in the approval request's trace and the chat message's trace would
stop at "pending". Every gateway replica sees every decision (core NATS, ``risk.decision.*``), so
each remembers the span that delivered a pending decision; the approval starts as its child and
links the request. Memory only and bounded: after a restart, or for a proposal older than the
newest ``capacity``, an approval simply starts from its request's trace.
"""

from __future__ import annotations

from collections import OrderedDict

from opentelemetry import trace
from opentelemetry.trace import SpanContext

DEFAULT_CAPACITY = 10_000


class ProposalTraces:
    """A bounded map from intent id to the span context its pending decision arrived in."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._contexts: OrderedDict[str, SpanContext] = OrderedDict()

    def remember_current(self, intent_id: str) -> None:
        """Note the current span (the one delivering ``intent_id``'s pending decision), if traced."""
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return
        self._contexts[intent_id] = context
        self._contexts.move_to_end(intent_id)
        while len(self._contexts) > self._capacity:
            self._contexts.popitem(last=False)

    def context_of(self, intent_id: str) -> SpanContext | None:
        """The span context of ``intent_id``'s proposal (kept after an answer: a failed publish
        is answered again, and the oldest entries make room anyway)."""
        return self._contexts.get(intent_id)

    def __len__(self) -> int:
        return len(self._contexts)


__all__ = ["ProposalTraces"]
