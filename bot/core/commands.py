"""Commands as typed values: what a user can ask of Miru besides a question about an image.

Each adapter builds these from its own input (Slack parses the ``/miru`` text with
``parse_command``; Discord's application commands give typed options) and hands them to
``bot.core.gateway.Gateway.run_command``, which returns the sentence to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from config.policy import is_channel_id, is_group_id, is_role_id, is_user_id


@dataclass(frozen=True)
class Help:
    """Show what Miru does and which commands exist."""


@dataclass(frozen=True)
class Receipts:
    """``/miru receipts``: start an expense thread in the channel (as ``@Miru receipts``)."""


@dataclass(frozen=True)
class Home:
    """``/miru settings``: the caller's home view (settings, today's use; admins: set-up
    health and permissions; moderators: cases waiting)."""


@dataclass(frozen=True)
class Forget:
    """Delete the caller's thread memory and cached images on this platform."""


@dataclass(frozen=True)
class SetLanguage:
    """Answer the caller in ``lang`` from now on (``ja`` or ``en``; anything else shows usage)."""

    lang: str


@dataclass(frozen=True)
class History:
    """``on`` / ``off``: keep the caller's conversations or not; ``""`` asks for the current
    setting (and what is kept, for how long); anything else shows usage."""

    setting: str = ""
    channel: str = ""  # where it was asked: the status also tells that channel's policy


@dataclass(frozen=True)
class Appeal:
    """``/miru appeal CASE``: the uploader sends a rejected review case back once."""

    case: str = ""


@dataclass(frozen=True)
class AnswerConsent:
    """The caller pressed a consent button on the prompt of ``request_id``."""

    request_id: str
    confirmed: bool


AdminOp = Literal["show", "grant", "revoke", "channel_add", "channel_remove", "everyone",
                  "usage"]
MAX_ADMIN_TEXT = 300  # longer ``/miru admin`` input is refused with the usage


@dataclass(frozen=True)
class Admin:
    """``/miru admin …``: show or change this workspace's permissions (admins only).
    ``subject``: ``user:ID``, ``group:ID`` or ``role:ID``; ``op == "usage"`` for bad input."""

    op: AdminOp = "show"
    subject: str = ""
    level: str = ""
    channel: str = ""


@dataclass(frozen=True)
class Unknown:
    """Input that names no command (``text`` as the user typed it)."""

    text: str


Command = (Help | Receipts | Home | Forget | SetLanguage | History | Appeal | AnswerConsent
           | Admin | Unknown)
_RECEIPTS = frozenset({"receipts", "receipt", "expenses", "経費", "レシート"})


def parse_command(text: str, *, channel: str = "") -> Command:
    """``help | receipts | settings | forget | lang ja|en | history [on|off] | appeal CASE |
    admin …`` as typed after a slash command; empty text is ``Help``. ``channel``: where it
    was typed (``history`` tells that channel's policy)."""
    words = text.split()
    if not words:
        return Help()
    verb = words[0].lower()
    if verb == "help":
        return Help()
    if verb in _RECEIPTS and len(words) == 1:
        return Receipts()
    if verb in ("settings", "home") and len(words) == 1:
        return Home()
    if verb == "forget":
        return Forget()
    if verb == "lang":
        return SetLanguage(words[1].lower() if len(words) > 1 else "")
    if verb == "history":
        return History(" ".join(words[1:]).lower(), channel)
    if verb == "appeal":
        return Appeal(words[1][:64] if len(words) == 2 else "")
    if verb == "admin":
        return parse_admin(text.strip()[len("admin"):])
    return Unknown(text)


_USAGE = Admin("usage")
_LEVELS = ("none", "view", "edit", "share", "approve", "admin")
_EVERYONE_LEVELS = ("none", "view", "edit", "share")
_SLACK_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
_DISCORD_USER = re.compile(r"^<@!?([0-9]+)>$")
_DISCORD_ROLE = re.compile(r"^<@&([0-9]+)>$")
_CHANNEL = re.compile(r"^<#([A-Z0-9]+|[0-9]+)(?:\|[^>]*)?>$")


def parse_admin(text: str) -> Admin:
    """The words after ``admin``: nothing or ``show``; ``grant WHO LEVEL``; ``revoke WHO``;
    ``channels add|remove CHANNEL``; ``everyone LEVEL``. ``WHO`` is a mention (Slack
    ``<@U…>``, ``<!subteam^S…>``; Discord ``<@…>``, ``<@&…>``) or ``user:ID``, ``group:ID``,
    ``role:ID``, or a bare Slack id (``U…``, ``S…``). Anything else, or over
    ``MAX_ADMIN_TEXT`` characters: ``Admin("usage")`` (nothing is changed)."""
    if len(text) > MAX_ADMIN_TEXT:
        return _USAGE
    words = text.split()
    if not words or words == ["show"]:
        return Admin("show")
    verb, rest = words[0].lower(), words[1:]
    if verb == "grant" and len(rest) == 2 and rest[1].lower() in _LEVELS:
        subject = parse_subject(rest[0])
        return Admin("grant", subject, rest[1].lower()) if subject else _USAGE
    if verb == "revoke" and len(rest) == 1:
        subject = parse_subject(rest[0])
        return Admin("revoke", subject) if subject else _USAGE
    if verb == "everyone" and len(rest) == 1 and rest[0].lower() in _EVERYONE_LEVELS:
        return Admin("everyone", level=rest[0].lower())
    if verb in ("channels", "channel") and len(rest) == 2 and rest[0].lower() in ("add",
                                                                                   "remove"):
        channel = parse_channel(rest[1])
        op: AdminOp = "channel_add" if rest[0].lower() == "add" else "channel_remove"
        return Admin(op, channel=channel) if channel else _USAGE
    return _USAGE


def parse_subject(word: str) -> str:
    """``user:ID``, ``group:ID`` or ``role:ID`` from a mention or a prefixed or bare id; ""
    when it names nobody valid."""
    for pattern, kind in ((_SLACK_USER, "user"), (_SLACK_GROUP, "group"),
                          (_DISCORD_ROLE, "role"), (_DISCORD_USER, "user")):
        match = pattern.match(word)
        if match:
            word = f"{kind}:{match.group(1)}"
            break
    kind, sep, ident = word.partition(":")
    if not sep:
        kind, ident = ("group" if word.startswith("S") else "user"), word
    checks = {"user": is_user_id, "group": is_group_id, "role": is_role_id}
    check = checks.get(kind.lower())
    return f"{kind.lower()}:{ident}" if check is not None and check(ident) else ""


def parse_channel(word: str) -> str:
    """A channel id from ``<#C…|name>``, ``<#…>`` or a bare id; "" otherwise."""
    match = _CHANNEL.match(word)
    ident = match.group(1) if match else word
    return ident if is_channel_id(ident) else ""
