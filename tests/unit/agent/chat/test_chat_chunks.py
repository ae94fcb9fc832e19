"""Model tokens become few chunks: cut at a size, flushed after a delay, never reordered or lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from services.agent.chat.chunks import coalesce, split_text


async def stream(tokens: Sequence[str | float], error: Exception | None = None) -> AsyncIterator[str]:
    """Yield the strings; a number is a pause of that many seconds."""
    for token in tokens:
        if isinstance(token, str):
            yield token
        else:
            await asyncio.sleep(token)
    if error is not None:
        raise error


async def chunks_of(tokens: AsyncIterator[str], max_chars: int = 10, max_delay_s: float = 10.0) -> list[str]:
    return [c async for c in coalesce(tokens, max_chars=max_chars, max_delay_s=max_delay_s)]


def test_split_text_cuts_consecutive_pieces_of_at_most_max_chars() -> None:
    assert split_text("abcdefgh", 3) == ["abc", "def", "gh"]
    assert split_text("", 3) == []
    with pytest.raises(ValueError, match="max_chars >= 1"):
        split_text("x", 0)


async def test_a_fast_stream_is_cut_at_the_size_and_the_rest_sent_at_the_end() -> None:
    chunks = await chunks_of(stream(["Bitcoin ", "is ", "at ", "101.5", "! ", "Up."]))
    assert chunks == ["Bitcoin is", " at 101.5!", " Up."]


async def test_text_waiting_longer_than_the_delay_is_flushed_while_the_stream_is_quiet() -> None:
    # Arrange: a pause (a tool call running) after the first words
    tokens = stream(["Let ", "me ", "check.", 0.3, "Done."])
    # Act
    chunks = await chunks_of(tokens, max_chars=100, max_delay_s=0.05)
    # Assert
    assert chunks == ["Let me check.", "Done."]


async def test_a_stream_error_is_raised_after_the_text_before_it() -> None:
    received: list[str] = []
    with pytest.raises(RuntimeError, match="provider down"):
        async for chunk in coalesce(
            stream(["partial ", "answer"], RuntimeError("provider down")), max_chars=100, max_delay_s=10
        ):
            received.append(chunk)
    assert received == ["partial answer"]


async def test_leaving_early_stops_reading_the_stream() -> None:
    read: list[str] = []

    async def endless() -> AsyncIterator[str]:
        while True:
            read.append("x")
            yield "x"
            await asyncio.sleep(0.01)

    chunks = coalesce(endless(), max_chars=2, max_delay_s=10)
    assert await anext(chunks) == "xx"
    await chunks.aclose()
    before = len(read)
    await asyncio.sleep(0.05)
    assert len(read) == before
