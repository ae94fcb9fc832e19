"""A scripted OpenAI-compatible ``POST /v1/chat/completions`` served over real HTTP.

Each request takes the next ``Reply``: an error status, a delay (to make the client time out),
text and/or tool calls, answered as one JSON completion or, for ``stream: true``, as server-sent
``chat.completion.chunk`` events in OpenAI's format. Request bodies, and the ``Authorization``
header each request carried, are recorded for assertions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.support.asgi_server import serve_in_thread


@dataclass(frozen=True)
class Call:
    name: str
    arguments: str | dict[str, Any]
    """A dict is JSON-encoded; a string is sent as is (to script malformed JSON)."""
    id: str = ""

    def encoded(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    content: str | Sequence[str] = ""
    """Streamed piece by piece when a sequence."""
    tool_calls: Sequence[Call] = ()
    status: int = 200
    delay_s: float = 0.0
    usage: tuple[int, int] = (10, 5)


@dataclass
class ScriptedOpenAI:
    replies: list[Reply]
    model: str = "scripted-model"
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            self.authorizations.append(request.headers.get("authorization"))
            if not self.replies:
                return _error(400, "the script has no reply left")
            reply = self.replies.pop(0)
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            if reply.status != 200:
                return _error(reply.status, f"scripted status {reply.status}")
            if body.get("stream"):
                usage = (body.get("stream_options") or {}).get("include_usage", False)
                return StreamingResponse(self._events(reply, usage), media_type="text/event-stream")
            return JSONResponse(self._completion(reply))

        return app

    def _completion(self, reply: Reply) -> dict[str, Any]:
        content = reply.content if isinstance(reply.content, str) else "".join(reply.content)
        message: dict[str, Any] = {"role": "assistant", "content": content or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id or f"call_{i}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.encoded()},
                }
                for i, c in enumerate(reply.tool_calls)
            ]
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": _usage(reply),
        }

    async def _events(self, reply: Reply, usage: bool) -> AsyncIterator[str]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            data = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(data)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        pieces = [reply.content] if isinstance(reply.content, str) else list(reply.content)
        for piece in pieces:
            if piece:
                yield chunk({"content": piece})
                await asyncio.sleep(0)
        for i, call in enumerate(reply.tool_calls):
            head = {"index": i, "id": call.id or f"call_{i}", "type": "function"}
            yield chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
            arguments = call.encoded()
            half = len(arguments) // 2
            for part in (arguments[:half], arguments[half:]):
                yield chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
        yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
        if usage:
            data = {
                "id": "chatcmpl-scripted",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": self.model,
                "choices": [],
                "usage": _usage(reply),
            }
            yield f"data: {json.dumps(data)}\n\n"
        yield "data: [DONE]\n\n"


def _usage(reply: Reply) -> dict[str, int]:
    prompt, completion = reply.usage
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _error(status: int, message: str) -> JSONResponse:
    kind = (
        "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    )
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)


@contextmanager
def scripted_openai(replies: Sequence[Reply]) -> Iterator[tuple[ScriptedOpenAI, str]]:
    """Yield the script and its ``/v1`` base URL while a real uvicorn server answers."""
    script = ScriptedOpenAI(list(replies))
    with serve_in_thread(script.app()) as url:
        yield script, f"{url}/v1"
