"""Test-facing helpers of the Discord stand-in: realistic dispatches (MESSAGE_CREATE with
attachments, mentions, DMs and thread messages; INTERACTION_CREATE for application commands and
component presses; MESSAGE_DELETE; user-created threads) and gateway control (drop, offline,
invalidate sessions, reconnect). Mixed into ``DiscordStandIn``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tests.platform.discord_standin_interactions import (
    InteractionRecord,
    interaction_payload,
    option_payload,
)

if TYPE_CHECKING:
    from tests.platform.discord_standin_gateway import Gateway


class EventsMixin:
    """Dispatch helpers; every ``channel`` argument takes a channel name or id."""

    gateway: Gateway
    bot: dict[str, Any]
    guild_id: int
    messages: dict[int, dict[str, Any]]
    threads: dict[int, dict[str, Any]]
    synced_commands: dict[int | None, list[dict[str, Any]]]

    if TYPE_CHECKING:  # provided by DiscordStandIn
        def user(self, name: str, *, bot: bool = False) -> dict[str, Any]: ...
        def channel(self, name_or_id: str | int) -> int: ...
        def dm_channel(self, user_id: int) -> int: ...
        def fresh(self, message: dict[str, Any]) -> dict[str, Any]: ...
        def host_file(self, channel_id: int, data: bytes, filename: str,
                      content_type: str | None, *, width: int | None = None,
                      height: int | None = None) -> dict[str, Any]: ...
        def new_message(self, channel_id: int, author: dict[str, Any],
                        **fields: Any) -> dict[str, Any]: ...
        async def delete_message(self, channel_id: int, message_id: int) -> None: ...
        async def open_thread(self, parent_id: int, name: str, *, owner_id: int,
                              thread_id: int | None = None,
                              private: bool = False) -> dict[str, Any]: ...

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a raw dispatch (e.g. the same MESSAGE_CREATE again, as a redelivery)."""
        await self.gateway.dispatch(event, data)

    def attachment(self, channel: str | int, data: bytes, filename: str = "photo.png",
                   content_type: str | None = "image/png", *, width: int | None = None,
                   height: int | None = None) -> dict[str, Any]:
        """Host ``data`` and return an attachment payload for a message or a command option."""
        return self.host_file(self.channel(channel), data, filename,
                              content_type, width=width, height=height)

    async def dispatch_message(self, channel: str | int | None = "general", content: str = "", *,
                               author: str = "alice", mention_bot: bool = False,
                               attachments: Sequence[dict[str, Any] | tuple[bytes, str, str]] = (),
                               dm: bool = False, reply_to: int | None = None,
                               webhook: bool = False) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE from ``author`` and return its payload (also stored, so GET
        finds it). ``mention_bot`` prefixes ``<@bot>`` and lists the bot in ``mentions``;
        ``dm=True`` sends it in the author's DM channel; ``channel`` may be a thread id;
        ``attachments`` are payloads from ``attachment()`` or ``(bytes, filename, type)``."""
        user = self.user(author)
        cid = (self.dm_channel(int(user["id"])) if dm
               else self.channel(channel))
        atts = [a if isinstance(a, dict) else self.attachment(cid, a[0], a[1], a[2])
                for a in attachments]
        extra: dict[str, Any] = {}
        if mention_bot:
            content = f"<@{self.bot['id']}> {content}".rstrip()
        if reply_to is not None:
            extra = {"type": 19, "referenced_message": self.messages.get(reply_to),
                     "message_reference": {"message_id": str(reply_to), "channel_id": str(cid)}}
        if webhook:
            extra["webhook_id"] = str(user["id"])
        message = self.new_message(cid, user, content=content,
                                   attachments=atts,
                                   mentions=[self.bot] if mention_bot else [], **extra)
        await self.gateway.dispatch("MESSAGE_CREATE", self.fresh(message))
        return message

    async def dispatch_delete(self, channel: str | int, message_id: int) -> None:
        """A user deleted a message: it is gone for REST too; MESSAGE_DELETE is dispatched."""
        await self.delete_message(self.channel(channel), message_id)

    async def create_thread(self, channel: str | int, name: str = "a thread", *,
                            owner: str = "alice",
                            from_message: int | None = None) -> dict[str, Any]:
        """A user opens a thread (optionally from a message): THREAD_CREATE is dispatched."""
        return await self.open_thread(
            self.channel(channel), name,
            owner_id=int(self.user(owner)["id"]), thread_id=from_message)

    async def dispatch_command(self, name: str, options: dict[str, Any] | None = None, *,
                               subcommand: str | None = None, channel: str | int = "general",
                               user: str = "alice", dm: bool = False) -> InteractionRecord:
        """Dispatch INTERACTION_CREATE for a synced chat-input command. ``options`` map names to
        values (str, int, float, bool, or an ``attachment()`` payload, which also goes into
        ``resolved.attachments``). Raises LookupError when no sync registered the command."""
        person = self.user(user)
        cid = (self.dm_channel(int(person["id"])) if dm
               else self.channel(channel))
        command = self._synced(name, guild=not dm)
        opts = [option_payload(k, v) for k, v in (options or {}).items()]
        resolved = {"attachments": {v["id"]: v for v in (options or {}).values()
                                    if isinstance(v, dict) and "filename" in v}}
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": opts}
        if resolved["attachments"]:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        record = interaction_payload(self, itype=2, data=data,
                                     channel_id=cid, user=person)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    def _synced(self, name: str, *, guild: bool) -> dict[str, Any]:
        scopes: list[int | None] = [self.guild_id, None] if guild else [None]
        for scope in scopes:
            for command in self.synced_commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise LookupError(f"command {name!r} was never synced to the stand-in")

    async def dispatch_component(self, message_id: int, custom_id: str, *, user: str = "alice",
                                 component_type: int = 2,
                                 values: Sequence[str] = ()) -> InteractionRecord:
        """Dispatch a component press (button: type 2) on a stored message."""
        message = self.messages[message_id]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if component_type != 2:
            data["values"] = list(values)
        record = interaction_payload(self, itype=3, data=data,
                                     channel_id=int(message["channel_id"]),
                                     user=self.user(user),
                                     message=message)
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def dispatch_modal_submit(self, channel_id: int, custom_id: str,
                                    values: dict[str, str], *, user: str = "alice"
                                    ) -> InteractionRecord:
        """Dispatch a modal's submission (type 5): one text input (type 4) per value, each
        in its own action row, as Discord sends them."""
        data = {"custom_id": custom_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()]}
        record = interaction_payload(self, itype=5, data=data, channel_id=channel_id,
                                     user=self.user(user))
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    # ----- gateway control -----
    async def drop(self, code: int = 4000) -> None:
        """Close the live gateway connections (4000: discord.py resumes at once)."""
        await self.gateway.drop(code)

    def offline(self, code: int = 4000) -> contextlib.AbstractAsyncContextManager[None]:
        """``async with standin.offline():`` drop connections and hold reconnections until the
        block ends; dispatches inside it are buffered and replayed on RESUME."""
        return self.gateway.offline(code)

    async def invalidate_sessions(self) -> None:
        """Sessions can no longer resume; live ones get INVALID_SESSION and re-identify."""
        await self.gateway.invalidate_sessions()

    async def request_reconnect(self) -> None:
        """Send RECONNECT (op 7): the client reconnects and resumes."""
        await self.gateway.request_reconnect()

    async def wait_for_gateway(self, op: int, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until clients have sent ``count`` frames of ``op`` (2 IDENTIFY, 6 RESUME)."""
        await self.gateway.wait_for_frames(op, count, timeout)
