"""A local OpenAI-compatible ``/v1/chat/completions`` that streams (server-sent events), for the
streaming tests of the engine and of both platforms. Each request gets the next scripted
``Script`` (the last repeats): status, chunks with pauses between them, and how it ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web


def delta(text: str, finish: str | None = None) -> str:
    return json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": "stand-in",
                       "choices": [{"index": 0, "delta": {"content": text},
                                    "finish_reason": finish}]})


@dataclass
class Script:
    """``events``: raw SSE ``data`` payloads (or ``(event name, data)``); ``pause_s`` before
    each; ``end``: "done" sends ``[DONE]``, "drop" closes the connection at once, "eof" ends
    the body without ``[DONE]``, "hang" stalls (longer than the client waits)."""

    events: list = field(default_factory=list)
    pause_s: float = 0.0
    status: int = 200
    end: str = "done"
    headers: dict[str, str] = field(default_factory=dict)
    json_body: dict | None = None  # answer with one JSON object (after ``pause_s``)


def words(text: str, *, pause_s: float = 0.0) -> Script:
    """The text streamed word by word (each word with its leading space), then ``[DONE]``."""
    parts = text.split(" ")
    chunks = [parts[0]] + [" " + p for p in parts[1:]]
    return Script([delta(c) for c in chunks] + [delta("", "stop")], pause_s=pause_s)


def completion(content: str, *, pause_s: float = 0.0) -> Script:
    """A whole (not streamed) chat completion whose message is ``content``, after ``pause_s``."""
    return Script(pause_s=pause_s, json_body={
        "id": "c1", "object": "chat.completion", "model": "stand-in",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}]})


class OpenAIStandIn:
    def __init__(self) -> None:
        self.script: list[Script] = [words("ok")]
        self.bodies: list[dict] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if step.json_body is not None:
            if step.pause_s:  # a slow model: the whole answer after a pause
                await asyncio.sleep(step.pause_s)
            return web.json_response(step.json_body, status=step.status)
        if step.status != 200:
            return web.json_response({"error": {"message": "scripted"}}, status=step.status,
                                     headers=step.headers)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for item in step.events:
            if step.pause_s:
                await asyncio.sleep(step.pause_s)
            name, data = item if isinstance(item, tuple) else ("", item)
            head = f"event: {name}\n" if name else ""
            await response.write(f"{head}data: {data}\n\n".encode())
        if step.end == "drop":
            assert request.transport is not None
            request.transport.close()
            return response
        if step.end == "hang":  # until the test ends (close), long past the client's timeout
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 30)
        if step.end == "done":
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def start(self) -> OpenAIStandIn:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()


async def running() -> AsyncIterator[OpenAIStandIn]:
    server = await OpenAIStandIn().start()
    try:
        yield server
    finally:
        await server.close()
