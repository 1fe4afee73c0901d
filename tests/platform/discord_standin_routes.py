"""Bot REST routes of the Discord stand-in: gateway URL, login, application commands, channels,
messages (JSON and multipart), threads, typing, reactions.

Like Discord: content over 2,000 characters is a 400 (50035), an empty message a 400 (50006), a
reply to an unknown or deleted message a 400 (50035), a thread on a message that has one a 400
(160004); permissions denied to the bot in a channel (``ChannelSpec.bot_denied``) answer 403
Missing Permissions (50013) for sending, attaching, creating threads and reacting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from tests.platform.discord_standin_payloads import ChannelType, Perm
from tests.platform.discord_standin_rest import (
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    Fault,
    HttpError,
    Req,
    RestApi,
    invalid_form,
    json_response,
    no_content,
)

if TYPE_CHECKING:
    from tests.platform.discord_standin import DiscordStandIn

MAX_CONTENT = 2000
EMPTY_MESSAGE = Fault(400, 50006, "Cannot send an empty message")
THREAD_EXISTS = Fault(400, 160004, "A thread has already been created for this message")
WRONG_CHANNEL_TYPE = Fault(400, 50024, "Cannot execute action on this channel type")
NOT_AUTHOR = Fault(403, 50005, "Cannot edit a message authored by another user")
UNKNOWN_APPLICATION = Fault(404, 10002, "Unknown Application")

_ID = r"(?P<{}>\d+)"
CH = r"/channels/" + _ID.format("channel")
MSG = CH + r"/messages/" + _ID.format("message")


def register(api: RestApi, o: DiscordStandIn) -> None:
    """Add the bot routes to ``api``, serving the state of stand-in ``o``."""

    async def gateway(req: Req) -> web.Response:
        return json_response({"url": o.gateway_url})

    async def gateway_bot(req: Req) -> web.Response:
        return json_response({"url": o.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def me(req: Req) -> web.Response:
        return json_response(o.bot)

    async def open_dm(req: Req) -> web.Response:
        return json_response(o.channels[o.dm_channel(int(req.json["recipient_id"]))])

    async def app_info(req: Req) -> web.Response:
        return json_response(o.app_info())

    async def put_commands(req: Req, app: str, guild: str | None = None) -> web.Response:
        gid = _check_app(app, guild)
        known = {c["name"]: c["id"] for c in o.synced_commands.get(gid, [])}
        synced = []
        for command in req.json or []:
            entry: dict[str, Any] = {
                "type": 1, "description": "", "options": [], "default_member_permissions": None,
                "nsfw": False, **command, "application_id": str(o.app_id),
                "id": known.get(command["name"]) or str(o.ids()), "version": str(o.ids())}
            if gid is not None:
                entry["guild_id"] = str(gid)
            synced.append(entry)
        o.synced_commands[gid] = synced
        return json_response(synced)

    async def get_commands(req: Req, app: str, guild: str | None = None) -> web.Response:
        return json_response(o.synced_commands.get(_check_app(app, guild), []))

    def _check_app(app: str, guild: str | None) -> int | None:
        if int(app) != o.app_id:
            raise HttpError(UNKNOWN_APPLICATION)
        if guild is not None and int(guild) != o.guild_id:
            raise HttpError(MISSING_ACCESS)
        return int(guild) if guild is not None else None

    async def get_channel(req: Req, channel: str) -> web.Response:
        return json_response(_channel(channel))

    def _channel(channel: str) -> dict[str, Any]:
        payload = o.channels.get(int(channel))
        if payload is None:
            raise HttpError(UNKNOWN_CHANNEL)
        return payload

    def _require(channel: str, bit: int) -> None:
        if o.denied(int(channel), bit):
            raise HttpError(MISSING_PERMISSIONS)

    def _message(channel: str, message: str) -> dict[str, Any]:
        _channel(channel)
        payload = o.messages.get(int(message))
        if payload is None or payload["channel_id"] != channel or int(message) in o.deleted:
            raise HttpError(UNKNOWN_MESSAGE)
        return payload

    def _content(payload: dict[str, Any]) -> str:
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT:
            raise HttpError(invalid_form("content", "BASE_TYPE_MAX_LENGTH",
                                         f"Must be {MAX_CONTENT} or fewer in length."))
        return content

    def _uploads(req: Req, channel: str) -> list[dict[str, Any]]:
        if req.files:
            _require(channel, Perm.ATTACH_FILES)
        return [o.host_file(int(channel), f.data, f.filename or "file", f.content_type)
                for f in req.files]

    async def post_message(req: Req, channel: str) -> web.Response:
        _channel(channel)
        _require(channel, Perm.SEND_MESSAGES)
        payload = req.json or {}
        content = _content(payload)
        attachments = _uploads(req, channel)
        if not (content or attachments or payload.get("embeds") or payload.get("components")
                or payload.get("sticker_ids")):
            raise HttpError(EMPTY_MESSAGE)
        extra: dict[str, Any] = {"nonce": payload["nonce"]} if "nonce" in payload else {}
        reference = payload.get("message_reference")
        if reference:
            ref_id = int(reference["message_id"])
            if ref_id not in o.messages or ref_id in o.deleted:
                raise HttpError(invalid_form("message_reference",
                                             "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                             "Unknown message"))
            extra |= {"type": 19, "message_reference": dict(reference, channel_id=channel),
                     "referenced_message": o.messages[ref_id]}
        message = o.new_message(int(channel), o.bot, content=content, attachments=attachments,
                                components=payload.get("components"),
                                embeds=payload.get("embeds"), flags=payload.get("flags", 0),
                                **extra)
        await o.echo("MESSAGE_CREATE", message)
        return json_response(o.fresh(message))

    async def get_message(req: Req, channel: str, message: str) -> web.Response:
        return json_response(o.fresh(_message(channel, message)))

    async def edit_message(req: Req, channel: str, message: str) -> web.Response:
        current = _message(channel, message)
        if current["author"]["id"] != o.bot["id"]:
            raise HttpError(NOT_AUTHOR)
        return json_response(await o.edit_message(current, req.json or {},
                                                  _uploads(req, channel)))

    async def delete_message(req: Req, channel: str, message: str) -> web.Response:
        current = _message(channel, message)
        if current["author"]["id"] != o.bot["id"]:
            raise HttpError(MISSING_PERMISSIONS)
        await o.delete_message(int(channel), int(message))
        return no_content()

    async def thread_from_message(req: Req, channel: str, message: str) -> web.Response:
        parent = _channel(channel)
        if parent["type"] != ChannelType.TEXT:
            raise HttpError(WRONG_CHANNEL_TYPE)
        _require(channel, Perm.CREATE_PUBLIC_THREADS)
        starter = _message(channel, message)
        if int(message) in o.threads:
            raise HttpError(THREAD_EXISTS)
        name = (req.json or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            raise HttpError(invalid_form("name", "BASE_TYPE_BAD_LENGTH",
                                         "Must be between 1 and 100 in length."))
        thread = await o.open_thread(int(channel), name, owner_id=int(o.bot["id"]),
                                     thread_id=int(message))
        starter["flags"] = starter.get("flags", 0) | 32  # HAS_THREAD
        starter["thread"] = thread
        return json_response(thread, 201)

    async def thread_without_message(req: Req, channel: str) -> web.Response:
        parent = _channel(channel)
        if parent["type"] != ChannelType.TEXT:
            raise HttpError(WRONG_CHANNEL_TYPE)
        _require(channel, Perm.CREATE_PUBLIC_THREADS)
        body = req.json or {}
        thread = await o.open_thread(int(channel), body.get("name") or "thread",
                                     owner_id=int(o.bot["id"]),
                                     private=body.get("type") == ChannelType.PRIVATE_THREAD)
        return json_response(thread, 201)

    async def typing(req: Req, channel: str) -> web.Response:
        _channel(channel)
        _require(channel, Perm.SEND_MESSAGES)
        return no_content()

    async def add_reaction(req: Req, channel: str, message: str, emoji: str) -> web.Response:
        _message(channel, message)
        _require(channel, Perm.ADD_REACTIONS)
        o.reactions.setdefault(int(message), []).append(unquote(emoji))
        return no_content()

    async def remove_reaction(req: Req, channel: str, message: str, emoji: str,
                              user: str) -> web.Response:
        _message(channel, message)
        mine = o.reactions.get(int(message), [])
        if user == "@me" and unquote(emoji) in mine:
            mine.remove(unquote(emoji))
        return no_content()

    app = r"/applications/" + _ID.format("app")
    for method, pattern, handler in [
        ("GET", r"/gateway", gateway), ("GET", r"/gateway/bot", gateway_bot),
        ("GET", r"/users/@me", me), ("POST", r"/users/@me/channels", open_dm),
        ("GET", r"/oauth2/applications/@me", app_info), ("GET", r"/applications/@me", app_info),
        ("PUT", app + r"/commands", put_commands), ("GET", app + r"/commands", get_commands),
        ("PUT", app + r"/guilds/(?P<guild>\d+)/commands", put_commands),
        ("GET", app + r"/guilds/(?P<guild>\d+)/commands", get_commands),
        ("GET", CH, get_channel), ("POST", CH + r"/messages", post_message),
        ("GET", MSG, get_message), ("PATCH", MSG, edit_message), ("DELETE", MSG, delete_message),
        ("POST", MSG + r"/threads", thread_from_message),
        ("POST", CH + r"/threads", thread_without_message),
        ("POST", CH + r"/typing", typing),
        ("PUT", MSG + r"/reactions/(?P<emoji>[^/]+)/@me", add_reaction),
        ("DELETE", MSG + r"/reactions/(?P<emoji>[^/]+)/(?P<user>@me|\d+)", remove_reaction),
    ]:
        api.route(method, pattern, handler)
