"""A local stand-in of Discord (REST API v10, gateway, attachment CDN) for the real discord.py.

One aiohttp server on 127.0.0.1 (a free port) serves ``/api/v10/...``
(``discord_standin_routes``, ``discord_standin_interactions``), the gateway websocket at ``/ws``
(resumes at ``/ws/resume``, ``discord_standin_gateway``) and attachment bytes at
``/attachments/{channel}/{id}/{name}?ex=&is=&hm=`` (signed, expiring links like Discord's CDN).
``patched()`` points discord.py at it (``Route.BASE``, ``DiscordWebSocket.DEFAULT_GATEWAY``).
Typical test::

    async with DiscordStandIn() as standin, standin.patched():
        client = discord.Client(intents=..., guild_ready_timeout=0.05)
        async with run_client(client, standin):
            msg = await standin.dispatch_message("general", "hi", mention_bot=True)
            call = await standin.wait_for_call("POST", r"/channels/\\d+/messages")

Helpers (``discord_standin_events``): ``dispatch_message``, ``attachment``, ``dispatch_command``,
``dispatch_component``, ``dispatch_delete``, ``create_thread``, ``dispatch`` (raw, e.g. a
redelivery); gateway control: ``drop``, ``offline()``, ``invalidate_sessions``,
``request_reconnect``, ``wait_for_gateway``; REST: ``calls``, ``wait_for_call``, ``fail`` (faults
in ``discord_standin_rest``); CDN: ``expire_attachment_links``. State is plain dicts of Discord
payloads (``messages``, ``deleted``, ``channels``, ``threads``, ``reactions``,
``synced_commands``, ``interactions``) for assertions.

Constructor options: ``token``, ``guild`` (a ``GuildSpec``), ``allowed_intents`` (privileged
intents the app may use; None = all), ``interaction_deadline_s``, ``echo_own_messages``
(dispatch MESSAGE_CREATE/UPDATE/DELETE for the bot's own REST writes, as Discord does),
``link_ttl_s``, ``heartbeat_interval_ms``.

discord.py facts for fast tests: it fires ``on_ready`` ``guild_ready_timeout`` (2 s) after the
last GUILD_CREATE (pass ``guild_ready_timeout=0.05`` to ``Client``), and sleeps 5 s in
``Client.before_identify_hook`` before every IDENTIFY but the first (override it in tests that
re-identify).
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from tests.platform import discord_standin_interactions, discord_standin_routes
from tests.platform.discord_standin_cdn import CdnHost
from tests.platform.discord_standin_client import Patched, run_client
from tests.platform.discord_standin_events import EventsMixin
from tests.platform.discord_standin_gateway import Gateway
from tests.platform.discord_standin_payloads import (
    DEFAULT_GUILD,
    ChannelType,
    GuildSpec,
    Perm,
    Snowflakes,
    dm_channel_payload,
    guild_create_payload,
    message_payload,
    now_iso,
    thread_payload,
    user_payload,
)
from tests.platform.discord_standin_rest import RestApi, RestCall, json_response

API_PREFIX = "/api/v10"
# GATEWAY_MESSAGE_CONTENT_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | APPLICATION_COMMAND_BADGE
DEFAULT_APP_FLAGS = (1 << 19) | (1 << 15) | (1 << 23)


class DiscordStandIn(EventsMixin):
    """Discord's REST API, gateway and CDN on 127.0.0.1; see the module docstring."""

    def __init__(self, *, token: str = "standin-bot-token", guild: GuildSpec = DEFAULT_GUILD,
                 allowed_intents: int | None = None, interaction_deadline_s: float = 3.0,
                 echo_own_messages: bool = True, link_ttl_s: float = 3600.0,
                 heartbeat_interval_ms: int = 41250,
                 application_flags: int = DEFAULT_APP_FLAGS) -> None:
        self.token = token
        self.guild = guild
        self.guild_id = guild.id
        self.interaction_deadline_s = interaction_deadline_s
        self.echo_own_messages = echo_own_messages
        self.link_ttl_s = link_ttl_s
        self.application_flags = application_flags
        self.ids = Snowflakes()
        self.app_id = 710000000000000001  # a bot's user id is its application's id
        self.bot = user_payload(self.app_id, "miru", bot=True)
        self.users: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(("alice", "bob")):
            self.users[name] = user_payload(720000000000000001 + i, name)
        self.users["helper-bot"] = user_payload(720000000000000009, "helper-bot", bot=True)
        self.channels: dict[int, dict[str, Any]] = {}
        self._denied = {c.id: c.bot_denied for c in guild.channels}
        self.threads: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()
        self.reactions: dict[int, list[str]] = {}
        self.synced_commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, Any] = {}
        self.member_roles: dict[str, list[str]] = {}  # user id -> role ids (messages, commands)
        self._dms: dict[int, int] = {}
        self.rest = RestApi(token)
        discord_standin_routes.register(self.rest, self)
        discord_standin_interactions.register(self.rest, self)
        self.cdn = CdnHost(lambda: self.base_url, self.ids, link_ttl_s=link_ttl_s)
        self.rest.route("GET", r"/attachments/.*", self.cdn.serve, auth=False)
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms,
                               allowed_intents=allowed_intents)
        for payload in self.guild_payloads()[0]["channels"]:
            self.channels[int(payload["id"])] = dict(payload)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle and addresses -----
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for path in ("/ws", "/ws/", "/ws/resume", "/ws/resume/"):
            app.router.add_get(path, self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self._http)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: its host is the attachment host (the "CDN")."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``discord.http.Route.BASE`` (``MIRU_DISCORD_API_URL``) gets."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` (``MIRU_DISCORD_GATEWAY_URL``) gets."""
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/resume"

    def patched(self) -> Patched:
        """Point discord.py's REST base and default gateway at this stand-in until the block
        ends (``with`` or ``async with``)."""
        return Patched(self.api_url, self.gateway_url + "/")

    async def _http(self, request: web.Request) -> web.Response:
        path = request.path
        if path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX):]
        elif not path.startswith("/attachments/"):
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        return await self.rest.handle(request, path)

    # ----- recorded calls and faults -----
    def calls(self, method: str | None = None, path: str | None = None) -> list[RestCall]:
        """Recorded REST calls, filtered by method and a path regex (full match)."""
        return self.rest.select(method, path)

    async def wait_for_call(self, method: str, path: str, timeout: float = 5.0, *,
                            count: int = 1) -> RestCall:
        """Wait until ``count`` calls match; return the ``count``-th."""
        return await self.rest.wait_for(method, path, timeout=timeout, count=count)

    def fail(self, method: str, path: str, fault: Any, *, times: int = 1, skip: int = 0) -> None:
        """Inject ``fault`` (see ``discord_standin_rest``) for matching calls."""
        self.rest.fail(method, path, fault, times=times, skip=skip)

    # ----- state the routes share -----
    def guild_payloads(self) -> list[dict[str, Any]]:
        members = [u for u in self.users.values()]
        active = [t for t in self.threads.values() if "guild_id" in t]
        return [guild_create_payload(self.guild, bot=self.bot, members=members,
                                     threads=copy.deepcopy(active))]

    def app_info(self) -> dict[str, Any]:
        return {"id": str(self.app_id), "name": "Miru", "icon": None, "description": "",
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                "owner": self.users["alice"], "team": None, "flags": self.application_flags,
                "bot": self.bot, "summary": "", "rpc_origins": [], "redirect_uris": [],
                "interactions_endpoint_url": None, "tags": []}

    def channel(self, name_or_id: str | int) -> int:
        """A channel id by name ("general", "after-dark", "no-threads", "read-only") or id."""
        if isinstance(name_or_id, int):
            return name_or_id
        for cid, payload in self.channels.items():
            if payload.get("name") == name_or_id:
                return cid
        raise KeyError(f"no channel named {name_or_id!r}")

    def user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        """A user payload by name, created on first use (preset: alice, bob, helper-bot)."""
        if name not in self.users:
            self.users[name] = user_payload(self.ids(), name, bot=bot)
        return self.users[name]

    def user_by_id(self, user_id: int) -> dict[str, Any]:
        for payload in [self.bot, *self.users.values()]:
            if int(payload["id"]) == user_id:
                return payload
        raise KeyError(user_id)

    def dm_channel(self, user_id: int) -> int:
        """The DM channel id between the bot and ``user_id`` (created on first use)."""
        if user_id not in self._dms:
            cid = self.ids()
            self._dms[user_id] = cid
            self.channels[cid] = dm_channel_payload(cid, self.user_by_id(user_id))
        return self._dms[user_id]

    def denied(self, channel_id: int, bit: int) -> bool:
        """Whether the bot lacks ``bit`` in the channel (threads: their parent's overwrites)."""
        thread = self.threads.get(channel_id)
        if thread is not None:
            channel_id = int(thread["parent_id"])
            if bit == Perm.SEND_MESSAGES:
                bit = Perm.SEND_MESSAGES_IN_THREADS
        return bool(self._denied.get(channel_id, 0) & bit)

    def everyone_permissions(self) -> int:
        return Perm.EVERYONE

    def bot_permissions(self, channel_id: int) -> int:
        parent = self.threads.get(channel_id, {}).get("parent_id", channel_id)
        return Perm.EVERYONE & ~self._denied.get(int(parent), 0)

    def new_message(self, channel_id: int, author: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Store and return a message; ``fields``: message_payload's keywords or extra keys."""
        known = {k: fields.pop(k) for k in ("content", "attachments", "mentions", "components",
                                            "embeds", "flags") if k in fields}
        guild_id = self.guild_id if "guild_id" in self.channels[channel_id] else None
        payload = message_payload(self.ids(), channel_id=channel_id, author=author,
                                  guild_id=guild_id, **known)
        payload.update(fields)
        if "member" in payload:
            payload["member"]["roles"] = list(self.member_roles.get(str(author["id"]), []))
        if channel_id in self.threads:
            payload["position"] = self.threads[channel_id]["message_count"]
            self.threads[channel_id]["message_count"] += 1
        self.messages[int(payload["id"])] = payload
        return payload

    async def edit_message(self, current: dict[str, Any], body: dict[str, Any],
                           uploads: list[dict[str, Any]]) -> dict[str, Any]:
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                current[key] = body[key]
        if "attachments" in body and body["attachments"] is not None:
            keep = {str(a.get("id")) for a in body["attachments"]}
            current["attachments"] = [a for a in current["attachments"] if a["id"] in keep]
        current["attachments"] = current["attachments"] + uploads
        current["edited_timestamp"] = now_iso()
        await self.echo("MESSAGE_UPDATE", current)
        return self.fresh(current)

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        self.deleted.add(message_id)
        data: dict[str, Any] = {"id": str(message_id), "channel_id": str(channel_id)}
        if "guild_id" in self.channels.get(channel_id, {}):
            data["guild_id"] = str(self.guild_id)
        await self.gateway.dispatch("MESSAGE_DELETE", data)

    async def open_thread(self, parent_id: int, name: str, *, owner_id: int,
                          thread_id: int | None = None, private: bool = False) -> dict[str, Any]:
        """Create a thread (id = starter message id, as on Discord) and dispatch THREAD_CREATE."""
        tid = thread_id or self.ids()
        thread = thread_payload(tid, guild_id=self.guild_id, parent_id=parent_id,
                                owner_id=owner_id, name=name, bot_id=self.app_id,
                                private=private)
        self.threads[tid] = thread
        self.channels[tid] = thread
        await self.gateway.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return thread

    async def echo(self, event: str, message: dict[str, Any]) -> None:
        if self.echo_own_messages:
            await self.gateway.dispatch(event, self.fresh(message))

    # ----- attachment host -----
    def host_file(self, channel_id: int, data: bytes, filename: str,
                  content_type: str | None, *, width: int | None = None,
                  height: int | None = None) -> dict[str, Any]:
        """Serve ``data`` from this host; return its attachment payload (signed URL)."""
        return self.cdn.host(channel_id, data, filename, content_type, width=width,
                             height=height)

    def expire_attachment_links(self) -> None:
        """Every link issued so far expires (404); links issued afterwards work."""
        self.cdn.expire_links()

    def fresh(self, message: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``message`` whose attachment URLs are freshly signed."""
        return self.cdn.fresh(message)


__all__ = ["ChannelType", "DiscordStandIn", "Patched", "run_client"]
