"""The calling user as the database knows them: a UUID, taken from the graph's scope, never the model."""

from __future__ import annotations

import uuid

from services.agent.graph.tools import Refused


def account_of(user_id: str) -> uuid.UUID:
    """Return the user's account id; refuse a user without one (an id that is not a UUID)."""
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise Refused("this needs a signed-in account: the user's id is not an account id") from None


__all__ = ["account_of"]
