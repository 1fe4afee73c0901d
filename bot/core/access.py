"""Team permissions: who may use Miru where, and at which level (docs/policy.md, Permissions).

The policy file's ``[permissions.<workspace or guild id>]`` is the base; what workspace admins
change with ``/miru admin`` is an overlay in Redis (one hash per workspace, ``bot.keys``) laid
over it: an overlay entry for a person, group, role, ``everyone`` or channel replaces the file's.
A workspace with neither lets everyone use Miru everywhere at the ``share`` level (Miru before
permissions existed).

Levels add up: a person has the highest of what is granted to them, to one of their Slack user
groups or Discord roles, and to ``everyone``. Workspace admins and owners (Slack), members with
Administrator or Manage Server (Discord), count as ``admin`` wherever a table or overlay exists.
The gateway resolves the level once per message and stamps it on the ``IncomingMessage``
(``access``), so workers enforce ``edit`` and ``share`` without asking the platform again.

Slack group membership comes from the adapter (``Directory``) and is cached for
``keys.ACCESS_GROUP_TTL_S``; the platform-admin answer for ``keys.ACCESS_PLATFORM_ADMIN_TTL_S``.
A directory that fails counts as "not a member" / "not an admin": permissions never rest on a
guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot import keys
from bot.models import IncomingMessage
from bot.stores.redis_base import redis_errors, register_script, transaction
from bot.stores.redis_base import text as _text
from config.policy import Level, Permissions, PolicyConfig

log = logging.getLogger(__name__)

SubjectKind = Literal["user", "group", "role"]
UNCONFIGURED = Level.SHARE  # everyone's level where no table or overlay exists
LEVEL_VALUES = frozenset(level.value for level in Level)

# KEYS: the overlay hash. ARGV: field, value, most fields. Returns {1, old or ''} or {0, ''}
# when the hash is full and the field is new (nothing changed).
_CHANGE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {0, ''} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, old or ''}
"""


@dataclass(frozen=True)
class Subject:
    """Someone a level is granted to."""

    kind: SubjectKind
    id: str

    @property
    def field(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Member:
    """What the event itself says of its author: Discord role ids, and whether the platform
    calls them an admin (Discord: Administrator or Manage Server; None: ask the directory)."""

    roles: tuple[str, ...] = ()
    admin: bool | None = None


NO_MEMBER = Member()  # an event that said nothing of its author


class Directory(Protocol):
    """What a platform adapter answers about people (Slack: Web API calls)."""

    async def group_members(self, workspace: str, group: str) -> Sequence[str]: ...

    async def is_admin(self, workspace: str, user: str) -> bool: ...


@dataclass(frozen=True)
class Effective:
    """The settings in force for one workspace: the file's table with the overlay on top."""

    configured: bool  # a table or an overlay exists; otherwise everyone has ``share``
    everyone: Level
    channels: tuple[str, ...]  # empty: every channel
    direct_messages: bool
    grants: Mapping[Subject, Level] = field(default_factory=dict)

    def channel_ok(self, message: IncomingMessage) -> bool:
        if message.is_dm:
            return self.direct_messages
        return not self.channels or message.channel in self.channels


@dataclass(frozen=True)
class Decision:
    """The gateway's answer for one message: its level, and why it is refused (if it is)."""

    level: Level
    refused: Literal["", "channel", "level"] = ""


def at_least(value: str, need: Level) -> bool:
    """Whether a stamped level (``IncomingMessage.access``) reaches ``need``; a value that is
    not a level reaches nothing."""
    return value in LEVEL_VALUES and Level(value).rank >= need.rank


def file_grants(table: Permissions) -> dict[Subject, Level]:
    """Each subject's highest level in the file's table."""
    grants: dict[Subject, Level] = {}
    for level in (Level.VIEW, Level.EDIT, Level.SHARE, Level.APPROVE, Level.ADMIN):
        grant = table.granted(level)
        for kind, ids in (("user", grant.users), ("group", grant.groups),
                          ("role", grant.roles)):
            for item in ids:
                subject = Subject(kind, item)  # type: ignore[arg-type]
                if level.rank > grants.get(subject, Level.NONE).rank:
                    grants[subject] = level
    return grants


def merge(table: Permissions | None, overlay: Mapping[str, str]) -> Effective:
    """The file's table (or nothing) with the overlay's fields on top (pure: tested alone)."""
    base = table or Permissions(everyone=UNCONFIGURED.value)
    grants = file_grants(base)
    channels = dict.fromkeys(base.channels)
    everyone = base.everyone_level
    for name, value in overlay.items():
        kind, _, ident = name.partition(":")
        if name == "everyone" and value in LEVEL_VALUES:
            everyone = Level(value)
        elif kind == "channel" and ident:
            if value == "+":
                channels[ident] = None
            else:
                channels.pop(ident, None)
        elif kind in ("user", "group", "role") and ident and value in LEVEL_VALUES:
            grants[Subject(kind, ident)] = Level(value)  # type: ignore[arg-type]
    return Effective(configured=table is not None or bool(overlay), everyone=everyone,
                     channels=tuple(channels), direct_messages=base.direct_messages,
                     grants=grants)


class Access:
    """Resolves levels (``decide``, ``is_admin``) and changes the overlay (``change``).
    ``redis`` None: the policy file alone, no overlay (a memory-only app)."""

    def __init__(self, policy: PolicyConfig, redis: Any | None,
                 directory: Directory | None = None) -> None:
        self.policy = policy
        self.redis = redis
        self.directory = directory
        self._change = register_script(redis, _CHANGE) if redis is not None else None

    async def overlay(self, platform: str, workspace: str) -> dict[str, str]:
        if self.redis is None:
            return {}
        with redis_errors("access overlay"):
            raw = await self.redis.hgetall(keys.access_overlay(platform, workspace))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def effective(self, platform: str, workspace: str) -> Effective:
        return merge(self.policy.permissions.get(workspace),
                     await self.overlay(platform, workspace))

    async def decide(self, message: IncomingMessage, member: Member = NO_MEMBER) -> Decision:
        """The author's level and whether Miru may answer them here. Raises
        ``StoreUnavailable`` when the overlay cannot be read (the gateway fails closed)."""
        eff = await self.effective(message.platform, message.workspace)
        if not eff.configured:
            return Decision(UNCONFIGURED)
        level = await self._level(eff, message.platform, message.workspace, message.user,
                                  member, enough=Level.SHARE)
        if not eff.channel_ok(message):
            return Decision(level, "channel")
        if level is Level.NONE:
            return Decision(level, "level")
        return Decision(level)

    async def is_admin(self, platform: str, workspace: str, user: str,
                       member: Member = NO_MEMBER) -> bool:
        """Whether ``user`` may run ``/miru admin`` here: an ``admin`` grant, or the
        platform's own workspace admin."""
        eff = await self.effective(platform, workspace)
        level = await self._level(eff, platform, workspace, user, member, enough=Level.ADMIN)
        return level is Level.ADMIN or await self._platform_admin(platform, workspace, user,
                                                                    member)

    async def _level(self, eff: Effective, platform: str, workspace: str, user: str,
                     member: Member, *, enough: Level) -> Level:
        level = max(eff.everyone, eff.grants.get(Subject("user", user), Level.NONE),
                    *(eff.grants.get(Subject("role", r), Level.NONE) for r in member.roles),
                    key=lambda lv: lv.rank)
        groups = sorted(((s, lv) for s, lv in eff.grants.items() if s.kind == "group"),
                        key=lambda item: -item[1].rank)
        for subject, granted in groups:  # highest first; stop once nothing can raise it
            if granted.rank <= level.rank:
                break
            if await self._in_group(platform, workspace, subject.id, user):
                level = granted
        if level.rank < enough.rank and enough is Level.SHARE and await self._platform_admin(
                platform, workspace, user, member):
            level = Level.ADMIN
        return level

    async def in_group(self, platform: str, workspace: str, group: str, user: str) -> bool:
        """Whether ``user`` is in the platform's user ``group`` (Slack), cached; a directory
        that fails counts as "no"."""
        return await self._in_group(platform, workspace, group, user)

    async def _in_group(self, platform: str, workspace: str, group: str, user: str) -> bool:
        key = keys.access_group(platform, workspace, group)
        if self.redis is not None:
            with redis_errors("access group"):
                if await self.redis.exists(key):
                    return bool(await self.redis.sismember(key, user))
        if self.directory is None:
            return False
        try:
            members = [str(m) for m in await self.directory.group_members(workspace, group)]
        except Exception as exc:  # cannot tell: not a member (never grant on a guess)
            log.warning("access: group %s not read: %s", group, type(exc).__name__)
            return False
        if self.redis is not None:
            with redis_errors("access group"):
                async with transaction(self.redis) as pipe:
                    pipe.delete(key)
                    pipe.sadd(key, "", *members)  # "" marks an empty group as known
                    pipe.expire(key, keys.ACCESS_GROUP_TTL_S)
                    await pipe.execute()
        return user in members

    async def _platform_admin(self, platform: str, workspace: str, user: str,
                              member: Member) -> bool:
        if member.admin is not None:
            return member.admin
        if self.directory is None:
            return False
        key = keys.access_platform_admin(platform, workspace, user)
        if self.redis is not None:
            with redis_errors("access admin"):
                cached = await self.redis.get(key)
            if cached is not None:
                return _text(cached) == "1"
        try:
            admin = bool(await self.directory.is_admin(workspace, user))
        except Exception as exc:  # cannot tell: not an admin
            log.warning("access: admin status not read: %s", type(exc).__name__)
            return False
        if self.redis is not None:
            with redis_errors("access admin"):
                await self.redis.set(key, "1" if admin else "0",
                                     ex=keys.ACCESS_PLATFORM_ADMIN_TTL_S)
        return admin

    async def change(self, platform: str, workspace: str, name: str, value: str
                     ) -> tuple[bool, str]:
        """Set one overlay field; ``(changed, old value)``. Not changed when the overlay
        already holds ``keys.ACCESS_OVERLAY_MAX_FIELDS`` fields and ``name`` is new."""
        if self.redis is None or self._change is None:
            return False, ""
        with redis_errors("access change"):
            done, old = await self._change(keys=[keys.access_overlay(platform, workspace)],
                                           args=[name, value, keys.ACCESS_OVERLAY_MAX_FIELDS])
        return bool(int(done)), _text(old)
