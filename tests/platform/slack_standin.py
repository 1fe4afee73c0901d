"""A local stand-in of the Slack Web API (aiohttp.web), for platform tests and the bench.

It answers the Web API methods Miru calls, records every call (method, parameters, the
Authorization header), serves registered files' bytes from its own host (like ``files.slack.com``)
and ``files.info`` for them (also for Slack Connect stubs without a URL), and can inject faults: a
status (e.g. 429 with ``Retry-After``) or an error code (``channel_not_found``) for the next calls
of a method, a 404 or an HTML page instead of a file, a slow file. Like Slack, a message text
over 40,000 characters is refused with ``msg_too_long``. ``views.publish`` keeps each person's
Home tab (``home_views``); ``reactions.add``/``remove`` keep what is on a message now.
``response_url`` posts (interactivity, slash commands) are recorded as the pseudo-method
``response_url``. ``apps.connections.open``
(with the app token) answers ``socket_url``, for a Socket Mode stand-in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.health.remote import SLACK_SCOPES


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    auth: str
    at: float


@dataclass
class _File:
    data: bytes
    content_type: str
    status: int = 200
    delay_s: float = 0.0


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    times: int
    body: dict[str, Any] = field(default_factory=dict)
    skip: int = 0  # calls that still succeed before the fault starts


class SlackStandIn:
    """Serve on 127.0.0.1 (a free port); ``api_url`` is what ``MIRU_SLACK_API_URL`` gets."""

    def __init__(
        self,
        *,
        token: str = "xoxb-standin-token",
        app_token: str = "xapp-standin-token",
        team_id: str = "T0MIRU",
        bot_user_id: str = "UMIRUBOT",
        bot_id: str = "BMIRUBOT",
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        self.token = token
        # What ``auth.test`` says the token may do (Slack's ``x-oauth-scopes`` header): by
        # default every scope docs/slack-manifest.yaml asks for; None sends no header.
        self.scopes = SLACK_SCOPES if scopes is None else scopes
        self.send_scopes = True
        self.app_token = app_token
        self.socket_url = ""
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.messages: dict[str, dict[str, Any]] = {}  # ts -> channel, thread_ts, text (edited)
        self.admins: set[str] = set()  # users.info says is_admin for these user ids
        # users.info's team_id for users of another organisation (Slack Connect); else ours
        self.user_teams: dict[str, str] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # views.publish: user id -> home view
        self.groups: dict[str, list[str]] = {}  # usergroups.users.list: group id -> user ids
        self._reactions: dict[tuple[str, str], list[str]] = {}  # (channel, ts) -> names
        self._files: dict[str, _File] = {}
        self._file_info: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, _Fault] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/files-pri/{file_id}/{name}", self._file)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{rid}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- set-up ---------------------------------------------------------------------------------

    def add_file(
        self,
        file_id: str,
        name: str,
        data: bytes,
        mimetype: str,
        *,
        status: int = 200,
        content_type: str | None = None,
        delay_s: float = 0.0,
        size: int | None = None,
    ) -> dict[str, Any]:
        """Register a file; returns the Slack file object an event carries."""
        self._files[file_id] = _File(data, content_type or mimetype, status, delay_s)
        url = f"{self.base_url}files-pri/{file_id}/{name}"
        self._file_info[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(data) if size is None else size,
            "url_private": url,
            "url_private_download": url + "?download=1",
        }
        return dict(self._file_info[file_id])

    def connect_stub(self, file_id: str) -> dict[str, Any]:
        """The file object an event carries for a file shared from another organisation (Slack
        Connect): no name, type, size or URL, only ``files.info`` tells them."""
        return {"id": file_id, "mode": "file_access", "file_access": "check_file_info",
                "created": 0, "timestamp": 0, "user": ""}

    def fail_next(
        self, method: str, *, status: int = 429, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` (with ``Retry-After``)."""
        body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
        self._faults[method] = _Fault(status, retry_after, times, body)

    def fail_with(self, method: str, error: str, *, times: int = 1, skip: int = 0) -> None:
        """After ``skip`` more good calls, the next ``times`` calls of ``method`` answer HTTP 200
        ``{"ok": false, "error": ...}``, as Slack does (``channel_not_found``, ``is_archived``)."""
        self._faults[method] = _Fault(200, None, times, {"ok": False, "error": error}, skip)

    def response_url(self, rid: str = "r1") -> str:
        return f"{self.base_url}response/{rid}"

    # -- inspection ------------------------------------------------------------------------------

    def thread_messages(self, channel: str, thread_ts: str) -> list[str]:
        """Texts of the messages posted in a thread, as they read now (after edits)."""
        return [m["text"] for m in self.messages.values()
                if m["channel"] == channel and m["thread_ts"] == thread_ts]

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Every reaction ever added to the message, in order (removed ones too)."""
        return [c.params["name"] for c in self.calls_to("reactions.add")
                if c.params.get("channel") == channel and c.params.get("timestamp") == ts]

    def reactions_now(self, channel: str, ts: str) -> list[str]:
        """The reactions on the message now: added and not removed since (``reactions.remove``
        of one that is not there answers ``no_reaction``, as Slack does)."""
        return list(self._reactions.get((channel, ts), []))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05
    ) -> None:
        """Poll until ``predicate()`` holds; raises ``TimeoutError`` with the calls seen."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                seen = [(c.method, c.params) for c in self.calls]
                raise TimeoutError(f"condition not met; calls: {seen}")
            await asyncio.sleep(interval)

    # -- handlers --------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("blocks", "attachments", "files", "view"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        self.calls.append(Call(method, params, auth, time.monotonic()))
        fault = self._faults.get(method)
        if fault is not None and fault.skip > 0:
            fault.skip -= 1
        elif fault is not None and fault.times > 0:
            fault.times -= 1
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return web.json_response(fault.body, status=fault.status, headers=headers)
        if method == "apps.connections.open":
            ok = auth == f"Bearer {self.app_token}" and bool(self.socket_url)
            return web.json_response({"ok": True, "url": self.socket_url} if ok
                                     else {"ok": False, "error": "invalid_auth"})
        if auth != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in ("chat.postMessage", "chat.update") and len(params.get("text", "")) > 40_000:
            return web.json_response({"ok": False, "error": "msg_too_long"})
        headers = {}
        if method == "auth.test" and self.send_scopes:
            headers["x-oauth-scopes"] = ",".join(self.scopes)
        return web.json_response(self._answer(method, params), headers=headers)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://miru-test.slack.com/",
                "team": "Miru Test",
                "user": "miru",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
            }
        if method == "chat.postMessage":
            message = {"text": params.get("text", ""), "ts": ts, "bot_id": self.bot_id}
            self.messages[ts] = {"channel": params.get("channel"), "text": message["text"],
                                 "thread_ts": params.get("thread_ts")}
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            if params.get("ts") in self.messages:
                self.messages[params["ts"]]["text"] = params.get("text", "")
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "views.publish":  # Slack checks the view's type and its 100-block limit
            view = params.get("view") or {}
            if view.get("type") != "home" or len(view.get("blocks") or ()) > 100:
                return {"ok": False, "error": "invalid_arguments"}
            self.home_views[str(params.get("user_id"))] = view
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **view}}
        if method in ("reactions.add", "reactions.remove"):
            return self._react(method, params)
        if method == "files.info":
            info = self._file_info.get(params.get("file", ""))
            return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "users.info":
            user = str(params.get("user", ""))
            return {"ok": True, "user": {"id": user,
                                         "team_id": self.user_teams.get(user, self.team_id),
                                         "is_admin": user in self.admins, "is_owner": False,
                                         "is_primary_owner": False}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": list(self.groups.get(params.get("usergroup", ""), []))}
        if method == "conversations.open":  # a DM with the given user
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", ""))[1:]}}
        if method == "files.getUploadURLExternal":
            file_id = f"FUP{next(self._ts)}"
            url = f"{self.base_url}upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.delete":  # a bot deletes its own uploads
            gone = self.uploads.pop(str(params.get("file", "")), None)
            return {"ok": True} if gone is not None else {"ok": False, "error": "file_not_found"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"]} for f in params.get("files", [])]}
        return {"ok": True}

    def _react(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        on = self._reactions.setdefault((str(params.get("channel")),
                                         str(params.get("timestamp"))), [])
        name = str(params.get("name"))
        if method == "reactions.add":
            if name in on:
                return {"ok": False, "error": "already_reacted"}
            on.append(name)
        elif name in on:
            on.remove(name)
        else:
            return {"ok": False, "error": "no_reaction"}
        return {"ok": True}

    async def _file(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        self.calls.append(Call("file", {"file_id": request.match_info["file_id"]}, auth, 0.0))
        entry = self._files.get(request.match_info["file_id"])
        if entry is None or auth != f"Bearer {self.token}":
            return web.Response(status=404, text="not found")
        if entry.delay_s:
            await asyncio.sleep(entry.delay_s)
        if entry.status != 200:
            return web.Response(status=entry.status, text="error")
        return web.Response(body=entry.data, content_type=entry.content_type)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _response_url(self, request: web.Request) -> web.Response:
        params = await request.json()
        params["rid"] = request.match_info["rid"]
        self.calls.append(Call("response_url", params, "", time.monotonic()))
        return web.Response(text="ok")
