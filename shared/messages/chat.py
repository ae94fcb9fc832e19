"""Chat between the web app and the agent: requests in, streamed replies out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.messages.base import Message
from shared.messages.charts import ChartSpec

UserId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class ChatRequested(Message):
    """A trader's chat message, published by the gateway."""

    type: Literal["chat.requested"] = "chat.requested"
    user_id: UserId
    conversation_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=4000)


class ChatReplied(Message):
    """One streamed chunk of the agent's reply; ``final`` marks the last chunk."""

    type: Literal["chat.replied"] = "chat.replied"
    user_id: UserId
    conversation_id: str = Field(min_length=1, max_length=64)
    request_id: str = Field(min_length=1, max_length=128)
    sequence: int = Field(ge=0)
    text: str = Field(max_length=16000)
    final: bool = False
    chart: ChartSpec | None = Field(None, description="A chart the copilot drew for this reply, for the app.")


ChatMessage = Annotated[ChatRequested | ChatReplied, Field(discriminator="type")]
