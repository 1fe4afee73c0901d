"""The guards every HTTP listener shares (``bot.ops.listen``): raw sockets on 127.0.0.1 against a
real aiohttp server with short limits, a handful of connections each, every wait bounded.

Regression (issue 19): a connection that never finished its headers was held for aiohttp's
default keep-alive of an hour (200 such connections were all open after 60 s), a body that
never came held its handler for ever, and nothing capped the number of connections.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.errors import ListenError
from bot.ops.listen import HttpGuards, serve

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.1"


def _app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())} bytes")

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="hello")

    application = web.Application()
    application.router.add_post("/echo", echo)
    application.router.add_get("/", hello)
    return application


async def _serving(guards: HttpGuards) -> AsyncIterator[int]:
    runner, port = await serve(_app(), host=HOST, port=0, guards=guards)
    try:
        yield port
    finally:
        await runner.cleanup()


@pytest.fixture
async def quick() -> AsyncIterator[int]:
    async for port in _serving(HttpGuards(header_timeout_s=0.5, body_timeout_s=0.5,
                                          max_connections=20)):
        yield port


async def _read_all(reader: asyncio.StreamReader, within: float) -> bytes:
    """Everything the server sends until it closes, or ``TimeoutError`` after ``within`` s."""
    return await asyncio.wait_for(reader.read(), within)


async def test_a_connection_that_never_finishes_its_headers_is_closed(quick):
    async def slow_client() -> float:
        reader, writer = await asyncio.open_connection(HOST, quick)
        t0 = time.monotonic()
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(20):  # a header line every 0.1 s does not buy more time
                await asyncio.sleep(0.1)
                if reader.at_eof() or writer.is_closing():
                    break
                writer.write(f"X-Slow-{i}: y\r\n".encode())
            await _read_all(reader, 5)
        except (ConnectionError, TimeoutError) as exc:
            if isinstance(exc, TimeoutError):
                raise AssertionError("the server still holds the connection") from None
        finally:
            writer.close()
        return time.monotonic() - t0

    held = await asyncio.gather(*(slow_client() for _ in range(5)))
    assert all(0.3 < h < 3 for h in held), held


async def test_a_connection_that_sends_nothing_is_closed(quick):
    reader, writer = await asyncio.open_connection(HOST, quick)
    t0 = time.monotonic()
    try:
        assert await _read_all(reader, 5) == b""
    finally:
        writer.close()
    assert time.monotonic() - t0 < 3


async def test_a_body_that_never_arrives_is_408_and_closed(quick):
    reader, writer = await asyncio.open_connection(HOST, quick)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    t0 = time.monotonic()
    try:
        answer = await _read_all(reader, 5)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - t0 < 3


async def test_whole_requests_are_answered_and_kept_alive(quick):
    reader, writer = await asyncio.open_connection(HOST, quick)
    try:
        for _ in range(2):
            writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert await asyncio.wait_for(reader.readexactly(11), 5) == b"got 5 bytes"
    finally:
        writer.close()


async def test_connections_past_the_cap_get_503_and_a_freed_slot_serves_again():
    async for port in _serving(HttpGuards(header_timeout_s=10, body_timeout_s=10,
                                          max_connections=2)):
        held = [await asyncio.open_connection(HOST, port) for _ in range(2)]
        await asyncio.sleep(0.2)  # both accepted
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            answer = await _read_all(reader, 5)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 503 ") and b'"busy"' in answer, answer[:200]
        assert b"Retry-After: 1" in answer
        held[0][1].close()
        await held[0][1].wait_closed()
        for _ in range(50):  # the server notices the close within a few loop turns
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = await _read_all(reader, 5)
            writer.close()
            if not answer.startswith(b"HTTP/1.1 503 "):
                break
            await asyncio.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"hello"), answer
        held[1][1].close()


async def test_a_port_in_use_is_a_listen_error_naming_it():
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ListenError) as caught:
            await serve(_app(), host=HOST, port=port, guards=HttpGuards())
    message = caught.value.user_message("en")
    assert message == (f"cannot listen on {HOST}:{port}: the port is in use (another process "
                       "listens there; choose another --port)")
