"""The server-sent-events reader and the chat-completion chunk parser (bot/vision/sse.py):
field rules, comments, multi-line data, CRLF, the size limit, and every kind of chunk."""

from __future__ import annotations

import pytest

from bot.vision.sse import MAX_EVENT_CHARS, Chunk, SSEEvent, parse_chunk, sse_events


async def _events(text: str) -> list[SSEEvent]:
    async def lines():
        for line in text.split("\n"):
            yield line

    return [e async for e in sse_events(lines())]


async def test_events_are_dispatched_at_blank_lines() -> None:
    got = await _events(": keep-alive\n\ndata: one\n\nevent: error\ndata: a\ndata: b\r\n\n"
                        "id: 7\nretry: 10\ndata:no-space\n\ndata: last-without-blank")
    assert got == [SSEEvent("message", "one"), SSEEvent("error", "a\nb"),
                   SSEEvent("message", "no-space"), SSEEvent("message", "last-without-blank")]


async def test_an_event_without_data_is_not_dispatched() -> None:
    assert await _events("event: ping\n\n\n\n") == []


async def test_an_endless_event_is_refused() -> None:
    async def lines():
        while True:
            yield "data: " + "x" * 10_000

    with pytest.raises(ValueError, match="limit"):
        async for _ in sse_events(lines()):
            pass
    assert MAX_EVENT_CHARS >= 100_000


@pytest.mark.parametrize(("event", "chunk"), [
    (SSEEvent("message", "[DONE]"), Chunk(done=True)),
    (SSEEvent("message", '{"choices": [{"delta": {"content": "hi"}}]}'), Chunk(delta="hi")),
    (SSEEvent("message", '{"choices": [{"delta": {"role": "assistant"}}]}'), Chunk()),
    (SSEEvent("message", '{"choices": [{"delta": {}, "finish_reason": "stop"}]}'),
     Chunk(done=True)),
    (SSEEvent("message", '{"choices": [{"message": {"content": "whole"}}]}'),
     Chunk(delta="whole")),
    (SSEEvent("message", '{"choices": [], "usage": {"total_tokens": 3}}'), Chunk()),
    (SSEEvent("message", '{"error": {"message": "oom"}}'), Chunk(error="oom")),
    (SSEEvent("message", '{"error": "plain"}'), Chunk(error="plain")),
    (SSEEvent("error", '{"message": "named"}'), Chunk(error="named")),
    (SSEEvent("error", "not json"), Chunk(error="not json")),
    (SSEEvent("message", "not json"), Chunk(malformed=True)),
    (SSEEvent("message", "[1, 2]"), Chunk(malformed=True)),
    (SSEEvent("message", '{"choices": "x"}'), Chunk(malformed=True)),
    (SSEEvent("message", '{"choices": [3]}'), Chunk(malformed=True)),
    (SSEEvent("message", '{"choices": [{"delta": {"content": 5}}]}'), Chunk(malformed=True)),
    (SSEEvent("message", "[" * 100_000), Chunk(malformed=True)),
])
def test_chunks(event: SSEEvent, chunk: Chunk) -> None:
    assert parse_chunk(event) == chunk
