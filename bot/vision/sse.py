"""Server-sent events (the ``text/event-stream`` format) from an iterator of lines, and the
pieces of an OpenAI-style chat-completion stream carried in them.

Written here rather than taken from ``httpx-sse``: that package is not a dependency yet and the
part Miru needs (``event``/``data`` fields, blank-line dispatch, comments) is a few lines of the
WHATWG parsing rules; swapping it in later changes only ``sse_events``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

MAX_EVENT_CHARS = 1_000_000  # one event's data; a server that never sends a blank line is cut


@dataclass(frozen=True)
class SSEEvent:
    event: str  # "message" unless the server named it
    data: str


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Events as the WHATWG rules dispatch them: ``data:`` lines joined by newlines, dispatched at
    a blank line (and at the end of the stream); ``:`` comments and unknown fields ignored."""
    event, size = "", 0
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SSEEvent(event or "message", "\n".join(data))
            event, data, size = "", [], 0
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            size += len(value)
            if size > MAX_EVENT_CHARS:
                raise ValueError("an event's data is larger than the limit")
            data.append(value)
    if data:
        yield SSEEvent(event or "message", "\n".join(data))


@dataclass(frozen=True)
class Chunk:
    """What one stream event means: text to add, the end, a server error, or nothing usable."""

    delta: str = ""
    done: bool = False  # ``[DONE]`` or a ``finish_reason``
    error: str = ""  # the server's error message (an error event)
    malformed: bool = False


def parse_chunk(event: SSEEvent) -> Chunk:
    """One chat-completion stream event: ``choices[0].delta.content`` (or ``.message.content``
    from servers that send whole messages), ``[DONE]``, ``finish_reason``, or ``error``."""
    if event.data.strip() == "[DONE]":
        return Chunk(done=True)
    try:
        payload = json.loads(event.data)
    except (json.JSONDecodeError, RecursionError):
        return Chunk(error=event.data[:200]) if event.event == "error" else Chunk(malformed=True)
    if not isinstance(payload, dict):
        return Chunk(malformed=True)
    if event.event == "error" or payload.get("error") is not None:
        error = payload.get("error", payload)
        message = error.get("message") if isinstance(error, dict) else error
        return Chunk(error=str(message or "error")[:200])
    choices = payload.get("choices")
    if not isinstance(choices, list):
        return Chunk(malformed=True)
    if not choices:  # a usage-only chunk
        return Chunk()
    choice = choices[0]
    if not isinstance(choice, dict):
        return Chunk(malformed=True)
    part = choice.get("delta") or choice.get("message") or {}
    content = part.get("content") if isinstance(part, dict) else None
    if content is not None and not isinstance(content, str):
        return Chunk(malformed=True)
    return Chunk(delta=content or "", done=choice.get("finish_reason") is not None)
