"""The one error the parser raises: a reason fit to show the trader on one line."""

from __future__ import annotations


class ParseError(ValueError):
    """The text is not a command the parser can take; ``reason`` says why, on one line."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())  # one line whatever the quoted fragment held
        super().__init__(self.reason)
