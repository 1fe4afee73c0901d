"""Interactions on the Discord stand-in: INTERACTION_CREATE payloads (application commands with
typed options and resolved attachments; component presses) and the routes that answer them:
``POST /interactions/{id}/{token}/callback`` and the follow-up webhooks
``/webhooks/{app}/{token}[/messages/{id|@original}]``.

As on Discord, a callback must come within ``interaction_deadline_s`` (3 s) of the dispatch and
only once (404 10062 Unknown interaction; 400 40060 already acknowledged); follow-ups need an
acknowledged interaction (404 10015 Unknown Webhook otherwise). Callback type 4 posts a message,
5 a "thinking" placeholder that ``PATCH .../messages/@original`` fills, 6 nothing (for a
component, its message becomes ``@original``, to be edited later), 7 updates the pressed
component's message, 9 opens a modal (kept in ``InteractionRecord.modal``). Ephemeral messages
(flag 64) are stored but not dispatched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.platform.discord_standin_payloads import member_payload
from tests.platform.discord_standin_rest import (
    ALREADY_ACKNOWLEDGED,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    HttpError,
    Req,
    RestApi,
    json_response,
    no_content,
)

if TYPE_CHECKING:
    from tests.platform.discord_standin import DiscordStandIn

EPHEMERAL = 64
LOADING = 128


@dataclass
class InteractionRecord:
    """A dispatched interaction and what the client answered (``responses``: callback types)."""

    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    user_id: int
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    responses: list[int] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None  # what a type-9 callback asked Discord to show


def option_payload(name: str, value: Any) -> dict[str, Any]:
    """A command option from a Python value: str 3, bool 5, int 4, float 10, attachment 11."""
    if isinstance(value, dict) and "filename" in value:
        return {"name": name, "type": 11, "value": value["id"]}
    if isinstance(value, bool):
        return {"name": name, "type": 5, "value": value}
    kind = {str: 3, int: 4, float: 10}[type(value)]
    return {"name": name, "type": kind, "value": value}


def interaction_payload(o: DiscordStandIn, *, itype: int, data: dict[str, Any],
                        channel_id: int, user: dict[str, Any],
                        message: dict[str, Any] | None = None) -> InteractionRecord:
    """Build (and register with ``o``) an INTERACTION_CREATE payload."""
    iid, token = o.ids(), f"standin-interaction-token-{o.ids()}"
    channel = o.channels[channel_id]
    guild_id = o.guild_id if "guild_id" in channel else None
    payload: dict[str, Any] = {
        "id": str(iid), "application_id": str(o.app_id), "type": itype, "data": data,
        "token": token, "version": 1, "channel_id": str(channel_id), "channel": channel,
        "locale": "en-US", "app_permissions": str(o.bot_permissions(channel_id)),
        "entitlements": [], "authorizing_integration_owners": {"0": str(o.guild_id)},
        "attachment_size_limit": 10 * 1024 * 1024, "context": 0 if guild_id else 1}
    if guild_id is not None:
        payload.update(guild_id=str(guild_id), guild_locale="en-US",
                       guild={"id": str(guild_id), "locale": "en-US", "features": []},
                       member=member_payload(user, permissions=o.everyone_permissions()))
        payload["member"]["roles"] = list(o.member_roles.get(str(user["id"]), []))
    else:
        payload["user"] = user
    if message is not None:
        payload["message"] = o.fresh(message)
    record = InteractionRecord(iid, token, itype, channel_id, guild_id, int(user["id"]), payload)
    o.interactions[iid] = record
    return record


def register(api: RestApi, o: DiscordStandIn) -> None:
    """Add the interaction callback and follow-up webhook routes to ``api``."""

    def _by_token(app: str, token: str) -> InteractionRecord:
        for record in o.interactions.values():
            if record.token == token and int(app) == o.app_id and record.responses:
                return record
        raise HttpError(UNKNOWN_WEBHOOK)

    def _post(record: InteractionRecord, body: dict[str, Any], files: list[dict[str, Any]],
              *, flags: int = 0) -> dict[str, Any]:
        flags |= body.get("flags", 0) or 0
        return o.new_message(record.channel_id, o.bot, content=body.get("content") or "",
                             attachments=files, components=body.get("components"),
                             embeds=body.get("embeds"), flags=flags,
                             webhook_id=str(o.app_id), application_id=str(o.app_id),
                             interaction_metadata={"id": str(record.id), "type": record.type,
                                                   "user": o.user_by_id(record.user_id)})

    async def _announce(message: dict[str, Any]) -> None:
        if not message.get("flags", 0) & EPHEMERAL:
            await o.echo("MESSAGE_CREATE", message)

    def _uploads(req: Req, record: InteractionRecord) -> list[dict[str, Any]]:
        return [o.host_file(record.channel_id, f.data, f.filename or "file", f.content_type)
                for f in req.files]

    async def callback(req: Req, iid: str, token: str) -> web.Response:
        record = o.interactions.get(int(iid))
        if record is None or record.token != token or (
                time.monotonic() - record.created > o.interaction_deadline_s
                and not record.responses):
            raise HttpError(UNKNOWN_INTERACTION)
        if record.responses:
            raise HttpError(ALREADY_ACKNOWLEDGED)
        body = req.json or {}
        kind, data = int(body.get("type", 0)), body.get("data") or {}
        record.responses.append(kind)
        resource: dict[str, Any] = {"type": kind}
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            message = _post(record, data, _uploads(req, record),
                            flags=LOADING if kind == 5 else 0)
            record.original_message_id = int(message["id"])
            await _announce(message)
        elif kind == 9:
            record.modal = data
        elif kind == 7 and "message" in record.payload:
            current = o.messages[int(record.payload["message"]["id"])]
            message = await o.edit_message(current, data, _uploads(req, record))
            record.original_message_id = int(current["id"])
        elif kind == 6 and "message" in record.payload:
            # A deferred update of a component's message: as on Discord, the interaction's
            # "@original" is then that message (edit_original_response updates it).
            record.original_message_id = int(record.payload["message"]["id"])
        if message is not None:
            resource["message"] = o.fresh(message)
        flags = int(data.get("flags", 0) or 0)
        answer = {"interaction": {"id": str(record.id), "type": record.type,
                                  "response_message_loading": kind == 5,
                                  "response_message_ephemeral": bool(flags & EPHEMERAL)},
                  "resource": resource}
        if message is not None:
            answer["interaction"]["response_message_id"] = message["id"]
        return json_response(answer)

    async def followup(req: Req, app: str, token: str) -> web.Response:
        record = _by_token(app, token)
        message = _post(record, req.json or {}, _uploads(req, record))
        record.followup_ids.append(int(message["id"]))
        await _announce(message)
        return json_response(o.fresh(message))

    def _target(record: InteractionRecord, message: str) -> dict[str, Any]:
        mid = record.original_message_id if message == "@original" else int(message)
        if mid is None or mid in o.deleted or mid not in o.messages or (
                mid != record.original_message_id and mid not in record.followup_ids):
            raise HttpError(UNKNOWN_MESSAGE)
        return o.messages[mid]

    async def get_webhook_message(req: Req, app: str, token: str, message: str) -> web.Response:
        return json_response(o.fresh(_target(_by_token(app, token), message)))

    async def edit_webhook_message(req: Req, app: str, token: str,
                                   message: str) -> web.Response:
        record = _by_token(app, token)
        current = _target(record, message)
        body = dict(req.json or {})
        current["flags"] = current.get("flags", 0) & ~LOADING
        return json_response(await o.edit_message(current, body, _uploads(req, record)))

    async def delete_webhook_message(req: Req, app: str, token: str,
                                     message: str) -> web.Response:
        current = _target(_by_token(app, token), message)
        await o.delete_message(int(current["channel_id"]), int(current["id"]))
        return no_content()

    hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
    one = hook + r"/messages/(?P<message>@original|\d+)"
    api.route("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", callback,
              auth=False)
    api.route("POST", hook, followup, auth=False)
    api.route("GET", one, get_webhook_message, auth=False)
    api.route("PATCH", one, edit_webhook_message, auth=False)
    api.route("DELETE", one, delete_webhook_message, auth=False)
