"""Which conversation each trade intent came from, so the gate's decision is told in that chat.

The intent sink records the conversation being answered (a context variable the chat handler
sets around each request) before the intent is published, so even a decision that arrives
while the answer is still streaming finds its conversation. The map is in memory and bounded:
an intent it does not know (a rule firing, one from before a restart, one long evicted) is told
in the ``default`` conversation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from services.agent.graph.sink import IntentSink
from shared.messages.base import plain_decimal
from shared.messages.intents import TradeIntentCreated

DEFAULT_CONVERSATION = "default"
MAX_REMEMBERED = 10_000
"""Intents remembered: far more than are pending at once (a pending approval expires)."""

_conversation: ContextVar[str] = ContextVar("chat_conversation", default=DEFAULT_CONVERSATION)


@contextmanager
def in_conversation(conversation_id: str) -> Iterator[None]:
    """Attribute intents submitted inside the block (by the parser or the model) to ``conversation_id``."""
    token = _conversation.set(conversation_id)
    try:
        yield
    finally:
        _conversation.reset(token)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an intent was asked for, and how to name it to the trader."""

    conversation_id: str
    summary: str


def summarize(intent: TradeIntentCreated) -> str:
    """``buy 0.01 BTC/USDT at market``, ``sell 2 ETH/USDT at 3500``, ``buy 100 USDT of BTC/USDT``."""
    if intent.quantity is not None:
        amount = f"{plain_decimal(intent.quantity)} {intent.symbol}"
    else:
        assert intent.quote_quantity is not None
        quote = intent.symbol.split("/")[1]
        amount = f"{plain_decimal(intent.quote_quantity)} {quote} of {intent.symbol}"
    price = "market" if intent.limit_price is None else plain_decimal(intent.limit_price)
    return f"{intent.side} {amount} at {price}"


class ConversationMap:
    """intent id → ``Origin``, keeping the ``max_size`` most recent."""

    def __init__(self, max_size: int = MAX_REMEMBERED) -> None:
        if max_size < 1:
            raise ValueError(f"expected max_size >= 1, was {max_size}")
        self._max_size = max_size
        self._origins: OrderedDict[str, Origin] = OrderedDict()

    def __len__(self) -> int:
        return len(self._origins)

    def remember(self, intent_id: str, origin: Origin) -> None:
        self._origins[intent_id] = origin
        self._origins.move_to_end(intent_id)
        while len(self._origins) > self._max_size:
            self._origins.popitem(last=False)

    def origin(self, intent_id: str) -> Origin | None:
        return self._origins.get(intent_id)


class RememberingSink:
    """An ``IntentSink`` that records each intent's conversation, then hands it to ``inner``."""

    def __init__(self, inner: IntentSink, conversations: ConversationMap) -> None:
        self._inner = inner
        self._conversations = conversations

    async def submit(self, intent: TradeIntentCreated) -> None:
        self._conversations.remember(intent.intent_id, Origin(_conversation.get(), summarize(intent)))
        await self._inner.submit(intent)
