"""Team permissions on Discord: the author's roles and admin status as the event gave them
(no extra API call), and the notice a refused user gets.

Discord has no ephemeral messages outside interactions, so a refused *message* gets a short
reply that mentions its author and deletes itself after ``NOTICE_DELETE_AFTER_S`` (discord.py's
``delete_after``); a refused ``/miru ask`` gets a true ephemeral answer (``handlers.discord_bot``).
An admin is a member with Administrator or Manage Server (the guild owner has every permission).
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.access import NO_MEMBER, Member
from bot.models import IncomingMessage
from handlers.discord_client import PART_CHARS, posted_in

NOTICE_DELETE_AFTER_S = 20.0


def member_of(user: Any, interaction: discord.Interaction | None = None) -> Member:
    """Role ids and admin status of a message's or an interaction's author; a user outside a
    guild (a DM) has neither."""
    if not isinstance(user, discord.Member):
        return NO_MEMBER
    roles = tuple(str(r) for r in getattr(user, "_roles", ()))  # as the event gave them
    perms = user.guild_permissions
    admin = perms.administrator or perms.manage_guild
    if interaction is not None:  # Discord's own total for the member in this channel
        admin = admin or interaction.permissions.administrator or \
            interaction.permissions.manage_guild
    return Member(roles, admin)


def channel_notice(client: discord.Client) -> Any:
    """The gateway's ``notify``: a reply mentioning the author, deleted after a while."""

    async def notify(message: IncomingMessage, text: str) -> None:
        await client.get_partial_messageable(posted_in(message)).send(
            f"<@{message.user}> {text}"[:PART_CHARS], delete_after=NOTICE_DELETE_AFTER_S,
            allowed_mentions=discord.AllowedMentions(users=True))

    return notify
