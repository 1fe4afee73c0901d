"""Discord API objects for the Discord stand-in: the guild layout, ids, and payload builders.

The payloads follow Discord's API v10 shapes closely enough that the real discord.py client parses
them as it parses Discord's own (users, members, guilds, channels, threads, messages,
attachments, interactions). ``GuildSpec``/``ChannelSpec`` describe the guild a stand-in serves;
``DEFAULT_GUILD`` has a plain text channel, an age-restricted (``nsfw``) one, one where the bot
may not create threads and one where it may neither send nor react.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class Perm:
    """Permission bits (Discord's values) used by the stand-in's checks."""

    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    USE_APPLICATION_COMMANDS = 1 << 31
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    EVERYONE = (ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
                | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS
                | SEND_MESSAGES_IN_THREADS)


class Intent:
    """Gateway intent bits (Discord's values)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT  # members, presences, content


class ChannelType:
    TEXT = 0
    DM = 1
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12


@dataclass(frozen=True)
class ChannelSpec:
    """A guild text channel; ``bot_denied`` are permission bits denied to the bot in it."""

    id: int
    name: str
    nsfw: bool = False
    bot_denied: int = 0


@dataclass(frozen=True)
class GuildSpec:
    id: int
    name: str
    channels: tuple[ChannelSpec, ...]


DEFAULT_GUILD = GuildSpec(
    id=700000000000000001,
    name="Miru Test Guild",
    channels=(
        ChannelSpec(700000000000000011, "general"),
        ChannelSpec(700000000000000012, "after-dark", nsfw=True),
        ChannelSpec(700000000000000013, "no-threads", bot_denied=Perm.CREATE_PUBLIC_THREADS),
        ChannelSpec(700000000000000014, "read-only",
                    bot_denied=Perm.SEND_MESSAGES | Perm.ADD_REACTIONS),
    ),
)


class Snowflakes:
    """Discord-style ids: milliseconds since the Discord epoch << 22, plus a counter."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot, "public_flags": 0, "flags": 0}


def member_payload(user: dict[str, Any] | None, *, with_user: bool = True,
                   permissions: int | None = None) -> dict[str, Any]:
    """A guild member; ``with_user=False`` for the ``member`` beside a message's ``author``."""
    member: dict[str, Any] = {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                              "deaf": False, "mute": False, "flags": 0, "pending": False,
                              "nick": None, "avatar": None, "premium_since": None,
                              "communication_disabled_until": None}
    if with_user and user is not None:
        member["user"] = user
    if permissions is not None:
        member["permissions"] = str(permissions)
    return member


def channel_payload(spec: ChannelSpec, guild_id: int, bot_id: int, position: int) -> dict[str, Any]:
    overwrites = []
    if spec.bot_denied:
        overwrites.append({"id": str(bot_id), "type": 1, "allow": "0",
                           "deny": str(spec.bot_denied)})
    return {"id": str(spec.id), "type": ChannelType.TEXT, "guild_id": str(guild_id),
            "name": spec.name, "position": position, "permission_overwrites": overwrites,
            "nsfw": spec.nsfw, "topic": None, "last_message_id": None,
            "rate_limit_per_user": 0, "parent_id": None, "flags": 0,
            "default_auto_archive_duration": 1440}


def dm_channel_payload(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": ChannelType.DM, "last_message_id": None,
            "recipients": [recipient], "flags": 0}


def thread_payload(thread_id: int, *, guild_id: int, parent_id: int, owner_id: int, name: str,
                   bot_id: int, private: bool = False) -> dict[str, Any]:
    stamp = now_iso()
    return {"id": str(thread_id), "guild_id": str(guild_id), "parent_id": str(parent_id),
            "owner_id": str(owner_id), "name": name,
            "type": ChannelType.PRIVATE_THREAD if private else ChannelType.PUBLIC_THREAD,
            "last_message_id": None, "message_count": 0, "member_count": 1,
            "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                "archive_timestamp": stamp, "locked": False,
                                "create_timestamp": stamp},
            "member": {"id": str(thread_id), "user_id": str(bot_id), "join_timestamp": stamp,
                       "flags": 0}}


def guild_create_payload(spec: GuildSpec, *, bot: dict[str, Any],
                         members: list[dict[str, Any]],
                         threads: list[dict[str, Any]]) -> dict[str, Any]:
    """GUILD_CREATE's data: the guild with @everyone, its channels, active threads, members."""
    everyone = {"id": str(spec.id), "name": "@everyone", "permissions": str(Perm.EVERYONE),
                "position": 0, "color": 0, "hoist": False, "managed": False,
                "mentionable": False, "flags": 0}
    channels = [channel_payload(c, spec.id, int(bot["id"]), i)
                for i, c in enumerate(spec.channels)]
    all_members = [member_payload(bot)] + [member_payload(u) for u in members]
    return {"id": str(spec.id), "name": spec.name, "icon": None, "owner_id": members[0]["id"],
            "roles": [everyone], "channels": channels, "threads": threads,
            "members": all_members, "member_count": len(all_members), "large": False,
            "unavailable": False, "joined_at": "2024-01-01T00:00:00+00:00", "features": [],
            "emojis": [], "stickers": [], "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "preferred_locale": "en-US", "mfa_level": 0, "premium_tier": 0,
            "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "nsfw_level": 0, "system_channel_id": None,
            "afk_timeout": 300, "afk_channel_id": None}


def attachment_payload(att_id: int, *, filename: str, size: int, url: str,
                       content_type: str | None, width: int | None = None,
                       height: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": str(att_id), "filename": filename, "size": size,
                               "url": url, "proxy_url": url, "content_type": content_type,
                               "flags": 0}
    if width is not None and height is not None:
        payload.update(width=width, height=height)
    return payload


def message_payload(msg_id: int, *, channel_id: int, author: dict[str, Any],
                    guild_id: int | None, content: str = "",
                    attachments: list[dict[str, Any]] | None = None,
                    mentions: list[dict[str, Any]] | None = None,
                    components: list[dict[str, Any]] | None = None,
                    embeds: list[dict[str, Any]] | None = None,
                    flags: int = 0) -> dict[str, Any]:
    """A message as the gateway and REST return it (``member`` beside ``author`` in guilds)."""
    payload: dict[str, Any] = {
        "id": str(msg_id), "channel_id": str(channel_id), "type": 0, "author": author,
        "content": content, "timestamp": now_iso(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
        "attachments": attachments or [], "embeds": embeds or [], "pinned": False,
        "flags": flags, "components": components or []}
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["member"] = member_payload(author, with_user=False)
        payload["mentions"] = [dict(m, member=member_payload(m, with_user=False))
                               for m in payload["mentions"]]
    return payload
