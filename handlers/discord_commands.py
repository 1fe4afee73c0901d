"""Discord's ``/miru`` application commands: ``ask``, ``receipts``, ``settings``, ``history``,
``lang``, ``forget``, ``appeal``, ``admin``, ``help``. Every command and option has a real
description in English and Japanese (``handlers.discord_i18n``: Discord shows the one of the
person's client). The commands only translate options into ``bot.core.commands`` values and
hand them to the client's gateway (``handlers.discord_bot.MiruDiscord``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.core.commands import Appeal, Forget, Help, History, SetLanguage, parse_admin
from handlers.discord_i18n import text

if TYPE_CHECKING:
    from handlers.discord_bot import MiruDiscord


def miru_group(client: MiruDiscord) -> app_commands.Group:
    """The ``/miru`` group, its subcommands bound to ``client``."""
    group = app_commands.Group(name="miru", description=text("discord.cmd.miru"))

    @group.command(name="ask", description=text("discord.cmd.ask"))
    @app_commands.describe(image=text("discord.opt.image"),
                           question=text("discord.opt.question"))
    async def ask(interaction: discord.Interaction, image: discord.Attachment,
                  question: str = "") -> None:
        await client.ask(interaction, image, question)

    @group.command(name="receipts", description=text("discord.cmd.receipts"))
    async def receipts(interaction: discord.Interaction) -> None:
        await client.receipts(interaction)

    @group.command(name="settings", description=text("discord.cmd.settings"))
    async def settings(interaction: discord.Interaction) -> None:
        await client.settings_panel(interaction)

    @group.command(name="forget", description=text("discord.cmd.forget"))
    async def forget(interaction: discord.Interaction) -> None:
        await client.command(interaction, Forget())

    @group.command(name="lang", description=text("discord.cmd.lang"))
    @app_commands.describe(language=text("discord.opt.language"))
    async def lang(interaction: discord.Interaction, language: Literal["ja", "en"]) -> None:
        await client.command(interaction, SetLanguage(language))

    @group.command(name="history", description=text("discord.cmd.history"))
    @app_commands.describe(setting=text("discord.opt.setting"))
    async def history(interaction: discord.Interaction, setting: str = "") -> None:
        # A free string, not a choice list: the core answers a bad value with its usage.
        channel = interaction.channel
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        await client.command(interaction, History(
            setting.strip().lower(), str(parent or interaction.channel_id or "")))

    @group.command(name="appeal", description=text("discord.cmd.appeal"))
    @app_commands.describe(case=text("discord.opt.case"))
    async def appeal(interaction: discord.Interaction, case: str) -> None:
        await client.command(interaction, Appeal(case.strip()[:64]))

    @group.command(name="admin", description=text("discord.cmd.admin"))
    @app_commands.describe(action=text("discord.opt.action"))
    async def admin(interaction: discord.Interaction, action: str = "") -> None:
        await client.command(interaction, parse_admin(action))

    @group.command(name="help", description=text("discord.cmd.help"))
    async def help_(interaction: discord.Interaction) -> None:
        await client.command(interaction, Help())

    return group
