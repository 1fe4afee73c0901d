"""The Discord stand-in's REST API (under ``/api/v10``) and its attachment host.

Every request is recorded as a ``RestCall`` (path relative to ``/api/v10``), whatever it got
back. ``RestApi.fail`` injects a fault for the next matching calls (``Fault`` presets: Missing
Permissions, Unknown Message, a 429 with ``Via`` and ``retry_after``, a 500). Responses carry
``Content-Type: application/json`` exactly (discord.py parses nothing else as JSON; aiohttp's
``json_response`` adds a charset and would break it). Bot routes need ``Authorization: Bot
<token>`` (401 otherwise, which discord.py's login turns into ``LoginFailure``); interaction
callbacks and webhooks are authorised by their token, as on Discord. Routes live in
``discord_standin_routes`` and ``discord_standin_interactions``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (``files[0]``...)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RestCall:
    """One REST request: ``path`` is relative to /api/v10 (attachments: their own path)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: tuple[UploadedFile, ...]
    status: int
    at: float


@dataclass(frozen=True)
class Fault:
    """A Discord-shaped error answer. ``retry_after`` (seconds) makes it a rate limit."""

    status: int
    code: int = 0
    message: str = ""
    retry_after: float | None = None
    is_global: bool = False

    def response(self) -> web.Response:
        if self.status == 429:
            body: dict[str, Any] = {"message": "You are being rate limited.",
                                    "retry_after": self.retry_after or 0.0,
                                    "global": self.is_global, "code": self.code}
            headers = {"Via": "1.1 google", "Retry-After": str(int(self.retry_after or 0) + 1),
                       "X-RateLimit-Scope": "global" if self.is_global else "user"}
            if self.is_global:
                headers["X-RateLimit-Global"] = "true"
            return json_response(body, self.status, headers)
        return json_response({"message": self.message, "code": self.code}, self.status)


MISSING_PERMISSIONS = Fault(403, 50013, "Missing Permissions")
MISSING_ACCESS = Fault(403, 50001, "Missing Access")
UNKNOWN_MESSAGE = Fault(404, 10008, "Unknown Message")
UNKNOWN_CHANNEL = Fault(404, 10003, "Unknown Channel")
UNKNOWN_INTERACTION = Fault(404, 10062, "Unknown interaction")
UNKNOWN_WEBHOOK = Fault(404, 10015, "Unknown Webhook")
ALREADY_ACKNOWLEDGED = Fault(400, 40060, "Interaction has already been acknowledged.")
SERVER_ERROR = Fault(500, 0, "500: Internal Server Error")
UNAUTHORIZED = Fault(401, 0, "401: Unauthorized")
NOT_FOUND = Fault(404, 0, "404: Not Found")


def rate_limited(retry_after: float = 0.1, *, is_global: bool = False) -> Fault:
    """A 429 discord.py waits out (``retry_after`` seconds) and retries."""
    return Fault(429, 0, "You are being rate limited.", retry_after, is_global)


def invalid_form(field_name: str, code: str, message: str) -> Fault:
    return Fault(400, 50035, f"Invalid Form Body ({field_name}: {code}: {message})")


def json_response(data: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def no_content() -> web.Response:
    return web.Response(status=204)


class HttpError(Exception):
    """Raise in a route to answer a ``Fault``."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault


@dataclass
class Req:
    """A parsed request as routes see it."""

    request: web.Request
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: tuple[UploadedFile, ...]
    authorized: bool


Handler = Callable[..., Awaitable[web.Response]]


@dataclass
class _Injected:
    method: str
    path: re.Pattern[str]
    fault: Fault
    times: int
    skip: int


@dataclass
class RestApi:
    """Request plumbing: routing, recording, fault injection, body parsing."""

    token: str
    calls: list[RestCall] = field(default_factory=list)
    _routes: list[tuple[str, re.Pattern[str], Handler, bool]] = field(default_factory=list)
    _faults: list[_Injected] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def route(self, method: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
        """Register ``handler(req, **named_groups)`` for ``method`` and a path regex."""
        self._routes.append((method, re.compile(pattern), handler, auth))

    def fail(self, method: str, path: str, fault: Fault, *, times: int = 1,
             skip: int = 0) -> None:
        """Answer the next ``times`` calls matching ``method`` and the ``path`` regex (full
        match, e.g. ``r"/channels/\\d+/messages"``) with ``fault``, after ``skip`` calls."""
        self._faults.append(_Injected(method.upper(), re.compile(path), fault, times, skip))

    def select(self, method: str | None = None, path: str | None = None) -> list[RestCall]:
        rx = re.compile(path) if path is not None else None
        return [c for c in self.calls
                if (method is None or c.method == method.upper())
                and (rx is None or rx.fullmatch(c.path))]

    async def wait_for(self, method: str, path: str, *, timeout: float = 5.0,
                       count: int = 1) -> RestCall:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.select(method, path)) >= count), timeout)
        return self.select(method, path)[count - 1]

    async def handle(self, request: web.Request, path: str) -> web.Response:
        method = request.method.upper()
        body, files = await _read_body(request)
        req = Req(request, method, path, dict(request.query), body, files,
                  request.headers.get("Authorization") == f"Bot {self.token}")
        response = await self._answer(req)
        async with self._changed:
            self.calls.append(RestCall(method, path, req.query, body, files, response.status,
                                       time.monotonic()))
            self._changed.notify_all()
        return response

    async def _answer(self, req: Req) -> web.Response:
        for injected in self._faults:
            if injected.method == req.method and injected.path.fullmatch(req.path):
                if injected.skip:
                    injected.skip -= 1
                    continue
                injected.times -= 1
                if injected.times <= 0:
                    self._faults.remove(injected)
                return injected.fault.response()
        for method, rx, handler, auth in self._routes:
            match = rx.fullmatch(req.path)
            if method == req.method and match:
                if auth and not req.authorized:
                    return UNAUTHORIZED.response()
                try:
                    return await handler(req, **match.groupdict())
                except HttpError as exc:
                    return exc.fault.response()
        return NOT_FOUND.response()


async def _read_body(request: web.Request) -> tuple[Any, tuple[UploadedFile, ...]]:
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                data = bytes(await part.read())
                files.append(UploadedFile(part.name or "", part.filename,
                                          part.headers.get("Content-Type"), data))
        return payload, tuple(files)
    raw = await request.read()
    if not raw:
        return None, ()
    try:
        return json.loads(raw), ()
    except ValueError:
        return raw.decode("utf-8", "replace"), ()
