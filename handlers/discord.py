"""Discord adapter, part 1: a ``discord.Message`` as an ``IncomingMessage``.

Mapping (so the pipeline's thread memory works as on Slack):

- a mention in a guild text channel: ``channel`` is that channel, ``thread`` the message's own
  id. Discord gives a thread started from a message the message's id, so the thread Miru opens
  for its answer and every later message in it share one ``ThreadKey``;
- a message inside a thread: ``channel`` is the thread's parent, ``thread`` the thread's id;
  without a mention it is a follow-up (the gateway's active-thread rule decides);
- a DM: ``channel`` and ``thread`` are the DM channel (one conversation per DM), no mention needed.

Ignored: bots (Miru included), webhooks, system messages, and channel messages outside a thread
that do not mention Miru. The event id is the message id, so a message delivered again after a
gateway resume, or seen by two gateway processes, is claimed once by ``App.submit``.
"""

from __future__ import annotations

import re

import discord

from bot.models import ImageRef, IncomingMessage, PlatformName
from config.policy import Audience

PLATFORM: PlatformName = "discord"
_MENTION = re.compile(r"<@!?(\d+)>")
_USER_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def translate_message(message: discord.Message, bot_user_id: int) -> IncomingMessage | None:
    """The message as an ``IncomingMessage``; None to ignore it (see the module docstring)."""
    author = message.author
    if author.bot or message.webhook_id is not None or author.id == bot_user_id:
        return None
    if message.type not in _USER_TYPES:
        return None
    channel = message.channel
    is_dm = isinstance(channel, discord.DMChannel) or message.guild is None
    mentioned = any(user.id == bot_user_id for user in message.mentions)
    if isinstance(channel, discord.Thread):
        parent, thread = str(channel.parent_id or channel.id), str(channel.id)
    elif is_dm:
        parent = thread = str(channel.id)
    else:
        if not mentioned:
            return None
        parent, thread = str(channel.id), str(message.id)
    workspace = str(message.guild.id) if message.guild is not None else "dm"
    return IncomingMessage(
        platform=PLATFORM,
        workspace=workspace,
        channel=parent,
        thread=thread,
        message_id=str(message.id),
        user=str(author.id),
        text=strip_mentions(message.content, bot_user_id),
        images=tuple(attachment_ref(a) for a in message.attachments),
        event_id=f"discord:{message.id}",
        is_dm=is_dm,
        platform_audience=channel_audience(channel),
        user_name=str(getattr(author, "display_name", "") or author.name)[:80],
    )


def channel_audience(channel: object) -> Audience | None:
    """An age-restricted (``nsfw``) channel, or a thread in one, is an ``adult`` audience for
    the policy (where the policy file says nothing of that channel); otherwise no opinion."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return Audience.ADULT if callable(is_nsfw) and is_nsfw() else None


def is_follow_up(message: discord.Message, bot_user_id: int) -> bool:
    """A thread message without a mention counts only where Miru already answered."""
    return isinstance(message.channel, discord.Thread) and not any(
        user.id == bot_user_id for user in message.mentions)


def strip_mentions(text: str, bot_user_id: int) -> str:
    """Miru's own mention removed, other mentions kept, whitespace collapsed."""
    cleaned = _MENTION.sub(lambda m: "" if int(m.group(1)) == bot_user_id else m.group(0), text)
    return " ".join(cleaned.split())


def attachment_ref(attachment: discord.Attachment) -> ImageRef:
    """An attachment's signed CDN link; an expired one is refreshed by fetching the message."""
    return ImageRef(
        name=attachment.filename,
        url=attachment.url,
        mimetype=attachment.content_type or "",
        size=attachment.size,
        file_id=str(attachment.id),
    )
