"""Every HTTP listener of Miru starts here: ``miru serve-api``, the Slack gateway's ``--http`` and
``miru worker --metrics-port``, with the same guards against clients that are slow or many.

- **Header timeout**: a connection must send a whole request head within ``header_timeout_s`` of
  connecting, or of its previous answer (keep-alive), else it is closed. aiohttp's keep-alive
  timer does this: it closes a connection whose handler still waits for a request head, and it
  runs from the moment of connecting; aiohttp's default (3630 s) held a connection that never
  finished its headers for an hour.
- **Body timeout**: a request body must have arrived whole ``body_timeout_s`` after its head.
  A middleware sets ``BodyTimeout`` on the body stream when the time is up, so the read waiting
  on it fails at once; the answer is a 408 and the connection is closed.
- **Connection cap**: at most ``max_connections`` open connections per listener; one more is
  answered 503 (``Retry-After: 1``) and closed before anything of it is read, so file
  descriptors and memory stay bounded whatever clients do.

A port that cannot be bound (in use, not allowed) is a ``ListenError``: one line on the command
line, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot import strings
from bot.errors import ListenError

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class HttpGuards:
    """The limits one listener applies to every connection (``MIRU_HTTP_*``)."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 120.0
    max_connections: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpGuards:
        return cls(settings.http_header_timeout_s, settings.http_body_timeout_s,
                   settings.http_max_connections)


class BodyTimeout(Exception):
    """The request body did not arrive whole in time (set on the body stream, raised by the
    read waiting on it)."""


def body_deadline(timeout_s: float) -> Middleware:
    """A middleware giving each request body ``timeout_s`` to arrive; answers 408 (and closes
    the connection) when an inner handler let ``BodyTimeout`` through."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        content = request.content
        if not request.body_exists or content.is_eof():
            return await handler(request)

        def expire() -> None:
            if not content.is_eof():
                content.set_exception(BodyTimeout(f"no whole body after {timeout_s:g} s"))

        timer = asyncio.get_running_loop().call_later(timeout_s, expire)
        try:
            return await handler(request)
        except BodyTimeout:
            response = web.Response(status=408, text=strings.t("http.body_timeout", "en") + "\n")
            response.force_close()
            return response
        finally:
            timer.cancel()

    return middleware


class _Gate:
    """Counts one listener's open connections."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.turned_away = 0


def _busy_response() -> bytes:
    body = json.dumps({"error": {"code": "busy", "message": strings.t("http.busy", "en")}})
    return ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Retry-After: 1\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
            f"{body}").encode()


class _Capped(asyncio.Protocol):
    """aiohttp's protocol for one connection, or, over the cap, a 503 and a close."""

    def __init__(self, inner: asyncio.Protocol, gate: _Gate) -> None:
        self._inner: asyncio.Protocol | None = inner
        self._gate = gate

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._gate.open >= self._gate.limit:
            self._inner = None
            self._gate.turned_away += 1
            if self._gate.turned_away in (1, 100) or self._gate.turned_away % 10_000 == 0:
                log.warning("http: %d connections open (the cap); %d turned away so far",
                            self._gate.open, self._gate.turned_away)
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(_busy_response())
            transport.close()
            return
        self._gate.open += 1
        self._inner.connection_made(transport)  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._gate.open -= 1
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class _GuardedSite(web.BaseSite):
    """A TCP site whose connections pass the cap first."""

    __slots__ = ("_gate", "_host", "_port")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, gate: _Gate) -> None:
        super().__init__(runner)
        self._host, self._port, self._gate = host, port, gate

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        gate = self._gate
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Capped(server(), gate), self._host, self._port, reuse_address=True)


async def serve(application: web.Application, *, host: str, port: int,
                guards: HttpGuards) -> tuple[web.AppRunner, int]:
    """Serve ``application`` on ``host:port`` with ``guards``; returns the runner (to clean up)
    and the bound port (``port=0``: any free one). ``ListenError`` when the port cannot be
    bound."""
    application.middlewares.insert(0, body_deadline(guards.body_timeout_s))
    runner = web.AppRunner(application, access_log=None, keepalive_timeout=guards.header_timeout_s)
    await runner.setup()
    site = _GuardedSite(runner, host, port, _Gate(guards.max_connections))
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ListenError(str(exc), host=host, port=port, reason=_why(exc)) from None
    sockets = getattr(site._server, "sockets", None) or []
    return runner, (sockets[0].getsockname()[1] if sockets else port)


def _why(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (another process listens there; choose another --port)"
    if exc.errno == errno.EACCES:
        return "not allowed (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address"
    return exc.strerror or type(exc).__name__
