"""Turn a model's token stream into reply chunks: one message per burst of text, not per token.

A chunk leaves when it holds ``max_chars`` characters or its first character has waited
``max_delay_s``, whichever comes first, so a fast model sends few messages and a slow one still
shows text promptly. Text is never reordered, dropped or duplicated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar, cast

_END = object()
Attachment = TypeVar("Attachment")


def split_text(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into consecutive pieces of at most ``max_chars`` (deterministic: a redelivered
    request cuts the same pieces, so the same chunk ids carry the same text)."""
    if max_chars < 1:
        raise ValueError(f"expected max_chars >= 1, was {max_chars}")
    return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]


async def coalesce(
    tokens: AsyncIterator[str | Attachment], *, max_chars: int, max_delay_s: float
) -> AsyncIterator[str | Attachment]:
    """Yield ``tokens`` joined into chunks (see the module docstring).

    Anything that is not text (a chart) flushes the text before it and passes through whole.

    The tokens are read by a task of their own, so a quiet stream (a tool call running) still
    flushes what is buffered on time. An error of the stream is raised after the text that came
    before it has been yielded.
    """
    if max_chars < 1:
        raise ValueError(f"expected max_chars >= 1, was {max_chars}")
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for token in tokens:
                await queue.put(token)
        finally:
            await queue.put(_END)

    loop = asyncio.get_running_loop()
    reader = asyncio.create_task(pump(), name="chat-tokens")
    buffer = ""
    since = 0.0
    try:
        while True:
            timeout = None if not buffer else max(0.0, since + max_delay_s - loop.time())
            try:
                item = await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                yield buffer
                buffer = ""
                continue
            if item is _END:
                break
            if not isinstance(item, str):
                if buffer:
                    yield buffer
                    buffer = ""
                yield cast("Attachment", item)  # whatever is not text
                continue
            if not buffer:
                since = loop.time()
            buffer += item
            while len(buffer) >= max_chars:
                yield buffer[:max_chars]
                buffer = buffer[max_chars:]
                since = loop.time()
        if buffer:
            yield buffer
        await reader  # raises the stream's own error, after the text it produced
    finally:
        reader.cancel()  # a no-op once it finished; stops it when the caller leaves early
        await asyncio.gather(reader, return_exceptions=True)
