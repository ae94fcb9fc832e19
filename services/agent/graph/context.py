"""Who is asking: run context set by the caller per request, never by the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ChatContext:
    """The authenticated user and the chat request being answered.

    Tools read the user from here, so a tool call's arguments cannot name another user; intent
    ids derive from ``request_id``, so answering a redelivered request republishes the same ids.
    """

    user_id: str
    request_id: str
    conversation_id: str = "default"

    def __post_init__(self) -> None:
        if not _USER_ID.match(self.user_id):
            raise ValueError(f"expected a user id of [A-Za-z0-9_-]{{1,64}}, was {self.user_id!r}")
        if not self.request_id:
            raise ValueError("expected a request id, was empty")

    @property
    def thread_id(self) -> str:
        """The checkpointer's thread: prefixed by the user, so no one can open another's memory."""
        return f"{self.user_id}:{self.conversation_id}"
