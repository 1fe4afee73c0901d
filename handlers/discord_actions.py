"""Buttons under Miru's replies on Discord: receipt cards' Approve and Reject
(``bot.core.actions``; ``custom_id`` ``miru:act:<value>``, rendered by
``handlers.discord_client.actions_view``).

A press that asks for a reason (Reject) checks the presser's level first (a refusal is an
ephemeral answer) and opens a form (a modal with one text field); its submission is the press
with the reason. Any other press is acknowledged without a message (its answer comes in the
thread). Either way the press becomes the presser's message in the card's thread and goes
through ``bot.core.actions.submit_press``: the same permissions, queue, audit and reply as
typing ``approve #2``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
import structlog

from bot.core.actions import Form, Press, form, permitted, submit_press, unpack
from bot.models import IncomingMessage
from handlers.discord import PLATFORM
from handlers.discord_access import member_of
from handlers.discord_client import ACTION_PREFIX

if TYPE_CHECKING:
    from bot.core.gateway import Gateway

log = structlog.get_logger(__name__)

FORM_PREFIX = "miru:actform:"


class ReasonForm(discord.ui.Modal):
    """One text field: why. ``done(interaction, reason)`` runs on submit."""

    def __init__(self, f: Form, custom_id: str,
                 done: Callable[[discord.Interaction, str], Awaitable[None]]) -> None:
        super().__init__(title=f.title[:45], custom_id=custom_id[:100], timeout=900)
        self.reason: discord.ui.TextInput = discord.ui.TextInput(
            label=f.field[:45], custom_id="reason", min_length=1, max_length=200,
            style=discord.TextStyle.paragraph)
        self.add_item(self.reason)
        self.done = done

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.done(interaction, str(self.reason.value or ""))


def pressed(interaction: discord.Interaction, text: str) -> IncomingMessage:
    """The press as the presser's message in the thread it was pressed in."""
    channel = interaction.channel
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    is_dm = interaction.guild is None
    here = str(interaction.channel_id or "")
    card = interaction.message.id if interaction.message is not None else interaction.id
    user = interaction.user
    return IncomingMessage(
        platform=PLATFORM, workspace=str(interaction.guild_id) if interaction.guild_id else "dm",
        channel=str(parent or here), thread=here, message_id=str(card), user=str(user.id),
        text=text, event_id=f"discord:interaction:{interaction.id}", is_dm=is_dm,
        user_name=str(getattr(user, "display_name", "") or user.name)[:80])


def _tell(interaction: discord.Interaction) -> Callable[[IncomingMessage, str], Awaitable[None]]:
    async def tell(_message: IncomingMessage, text: str) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    return tell


async def on_action_press(gateway: Gateway, interaction: discord.Interaction,
                          custom_id: str) -> None:
    press = unpack(custom_id[len(ACTION_PREFIX):])
    if press is None:
        log.warning("discord.action_unreadable", custom_id=custom_id[:40])
        await interaction.response.defer()
        return
    message = pressed(interaction, press.command)
    member = member_of(interaction.user, interaction)
    if not press.ask:
        await interaction.response.defer()  # the answer comes in the thread
        await submit_press(gateway, message, press, notify=_tell(interaction), member=member)
        return
    stamped = await permitted(gateway, message, press, notify=_tell(interaction), member=member)
    if isinstance(stamped, str):
        return
    lang = await gateway.language(message.user)

    async def done(submitted: discord.Interaction, reason: str) -> None:
        await _submit_reason(gateway, press, message, submitted, reason)

    await interaction.response.send_modal(
        ReasonForm(form(press, lang), FORM_PREFIX + str(interaction.id), done))


async def _submit_reason(gateway: Gateway, press: Press, pressed_as: IncomingMessage,
                         interaction: discord.Interaction, reason: str) -> None:
    await interaction.response.defer()
    message = IncomingMessage(
        platform=pressed_as.platform, workspace=pressed_as.workspace,
        channel=pressed_as.channel, thread=pressed_as.thread, message_id=pressed_as.message_id,
        user=pressed_as.user, text=press.typed(reason),
        event_id=f"discord:interaction:{interaction.id}", is_dm=pressed_as.is_dm,
        user_name=pressed_as.user_name)
    await submit_press(gateway, message, press, notify=_tell(interaction),
                       member=member_of(interaction.user, interaction))
