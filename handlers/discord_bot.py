"""Discord adapter, gateway side: a ``discord.Client`` whose events only translate and enqueue.

Messages (``handlers.discord.translate_message``) go to the core gateway (``bot.core.gateway``),
which applies the follow-up rule and enqueues; workers answer through
``handlers.discord_client``. Application commands (``handlers.discord_commands``:
``/miru ask|receipts|settings|forget|lang|history|appeal|admin|help``, described in ja/en by
``handlers.discord_i18n``) are synced on start (to ``MIRU_DISCORD_GUILD_ID`` when set, at once;
else globally). ``/miru ask``
defers within Discord's 3 s, posts the question as a follow-up, and the answer comes in a thread
started from it. Consent buttons carry the uploader's id: anyone else's press is refused
ephemerally; receipt cards' buttons are ``handlers.discord_actions``. One error hook for
events (``on_error``) and one for commands (``tree.on_error``).
Team permissions: every message and ``/miru ask`` passes ``Gateway.permit`` with the author's
roles and admin status (``handlers.discord_access``); ``/miru admin ACTION`` takes the same
words as Slack's ``/miru admin`` (``bot.core.commands.parse_admin``).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import discord
import structlog
from discord import app_commands

from bot import strings
from bot.core.admin import Caller
from bot.core.commands import AnswerConsent, Command
from bot.core.gateway import Gateway
from bot.models import IncomingMessage
from config.settings import Settings
from handlers.discord import (
    PLATFORM,
    attachment_ref,
    channel_audience,
    is_follow_up,
    translate_message,
)
from handlers.discord_access import member_of
from handlers.discord_actions import on_action_press
from handlers.discord_client import ACTION_PREFIX, CONSENT_PREFIX
from handlers.discord_commands import miru_group
from handlers.discord_home import HOME_PREFIX, on_panel_choice, show_panel
from handlers.discord_i18n import MiruTranslator
from handlers.discord_review import REVIEW_PREFIX, on_review_press

log = structlog.get_logger(__name__)


def intents() -> discord.Intents:
    """Guild and DM messages with their content (Message Content is a privileged intent)."""
    wanted = discord.Intents.none()
    wanted.guilds = wanted.guild_messages = wanted.dm_messages = True
    wanted.message_content = True
    return wanted


class MiruDiscord(discord.Client):
    """The Discord client of one gateway process. ``bind`` gives it the core gateway."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(intents=intents(),
                         guild_ready_timeout=settings.discord_guild_ready_timeout_s)
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_command_error  # type: ignore[method-assign]
        self.gateway: Gateway | None = None
        self.review_platform: Any = None  # the DiscordPlatform review cards are updated on
        self.tree.add_command(miru_group(self))

    def bind(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before every IDENTIFY but the first (Discord's limit is one
        IDENTIFY per 5 s); ``MIRU_DISCORD_IDENTIFY_DELAY_S`` sets it (0 in tests)."""
        if not initial:
            await asyncio.sleep(self.settings.discord_identify_delay_s)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(MiruTranslator())  # ja/en descriptions at sync
        guild_id = self.settings.discord_guild_id
        if guild_id:
            guild = discord.Object(id=int(guild_id))
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("discord.commands_synced", count=len(synced), guild=guild_id or "global")

    # --- messages ---------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if self.gateway is None or self.user is None:
            return
        incoming = translate_message(message, self.user.id)
        if incoming is None:
            return
        await self.gateway.on_message(incoming, follow_up=is_follow_up(message, self.user.id),
                                      member=member_of(message.author))

    # --- commands and buttons --------------------------------------------------------------

    def _gateway(self) -> Gateway:
        assert self.gateway is not None, "bind() first"
        return self.gateway

    async def command(self, interaction: discord.Interaction, cmd: Command) -> None:
        """Defer (ephemeral), run the command, answer only the caller."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        caller = Caller(PLATFORM, str(interaction.guild_id or ""), _channel_of(interaction),
                        str(interaction.user.id), member_of(interaction.user, interaction))
        text = await self._gateway().run_command(cmd, str(interaction.user.id), caller=caller)
        await interaction.followup.send(text, ephemeral=True)

    async def settings_panel(self, interaction: discord.Interaction) -> None:
        await show_panel(self._gateway(), interaction)

    async def receipts(self, interaction: discord.Interaction) -> None:
        """``/miru receipts``: the core's checks first (a refusal is ephemeral), then the
        thread's first message is posted as the command's answer, and the thread hangs from
        it (or is the thread the command ran in)."""
        user = interaction.user
        channel = interaction.channel

        async def tell(_message: IncomingMessage, text: str) -> None:
            await interaction.response.send_message(text, ephemeral=True)

        async def post_root(text: str) -> tuple[str, str]:
            await interaction.response.defer(thinking=True)
            posted = await interaction.followup.send(text[:2000], wait=True)
            in_thread = isinstance(channel, discord.Thread)
            return str(posted.id), str(interaction.channel_id) if in_thread else str(posted.id)

        said = await self._gateway().start_receipts(IncomingMessage(
            platform=PLATFORM, workspace=str(interaction.guild_id or "dm"),
            channel=_channel_of(interaction), thread="", message_id="", user=str(user.id),
            text="receipts", is_dm=interaction.guild is None,
            platform_audience=channel_audience(channel),
            event_id=f"discord:interaction:{interaction.id}"),
            member_of(user, interaction), post_root=post_root, notify=tell)
        if not said:
            return
        if interaction.response.is_done():
            await interaction.followup.send(said, ephemeral=True)
        else:
            await interaction.response.send_message(said, ephemeral=True)

    async def ask(self, interaction: discord.Interaction, image: discord.Attachment,
                  question: str) -> None:
        """Permissions first (a refusal is ephemeral); then defer, and the question becomes a
        follow-up message, answered in its thread."""
        user = interaction.user
        workspace = str(interaction.guild_id) if interaction.guild_id else "dm"

        async def tell(_message: IncomingMessage, text: str) -> None:
            await interaction.response.send_message(text, ephemeral=True)

        permitted = await self._gateway().permit(IncomingMessage(
            platform=PLATFORM, workspace=workspace, channel=_channel_of(interaction),
            thread=str(interaction.id), message_id=str(interaction.id), user=str(user.id),
            text=question, images=(attachment_ref(image),), is_dm=interaction.guild is None,
            event_id=f"discord:interaction:{interaction.id}"),
            member_of(user, interaction), notify=tell)
        if isinstance(permitted, str):
            return
        await interaction.response.defer(thinking=True)
        shown = question or image.filename
        posted = await interaction.followup.send(f"<@{user.id}>: {shown}"[:2000], wait=True)
        channel = interaction.channel
        is_dm = interaction.guild is None
        parent = (channel.parent_id if isinstance(channel, discord.Thread) else None)
        channel_id = str(parent or interaction.channel_id or posted.channel.id)
        in_thread = parent is not None
        thread = (str(interaction.channel_id) if in_thread or is_dm else str(posted.id))
        await self._gateway().submit(IncomingMessage(
            platform=PLATFORM, workspace=workspace,
            channel=channel_id, thread=thread, message_id=str(posted.id), user=str(user.id),
            text=question, images=(attachment_ref(image),),
            event_id=f"discord:interaction:{interaction.id}", is_dm=is_dm,
            platform_audience=channel_audience(channel), access=permitted.access))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Consent buttons (``miru:consent:<yes|no>:<uploader>:<request id>``) and review-card
        buttons (``miru:review:<verb>:<case>``, handlers/discord_review.py)."""
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id") or "")
        if custom_id.startswith(HOME_PREFIX):
            values = [str(v) for v in data.get("values") or ()]
            await on_panel_choice(self._gateway(), interaction, custom_id, values)
            return
        if custom_id.startswith(ACTION_PREFIX):  # receipt cards' Approve / Reject
            await on_action_press(self._gateway(), interaction, custom_id)
            return
        if custom_id.startswith(REVIEW_PREFIX):
            gateway = self._gateway()
            lang = await gateway.language(str(interaction.user.id))
            if gateway.review is None:
                await interaction.response.send_message(strings.t("store.unavailable", lang),
                                                        ephemeral=True)
                return
            await on_review_press(gateway.review, interaction, custom_id, lang)
            return
        if not custom_id.startswith(CONSENT_PREFIX):
            return
        answer, uploader, request_id = custom_id[len(CONSENT_PREFIX):].split(":", 2)
        user = str(interaction.user.id)
        gateway = self._gateway()
        if user != uploader:
            lang = await gateway.language(user)
            await interaction.response.send_message(
                strings.t("discord.consent_not_yours", lang), ephemeral=True)
            return
        await interaction.response.defer()
        text = await gateway.run_command(AnswerConsent(request_id, answer == "yes"), user)
        if interaction.message is not None:
            await interaction.followup.edit_message(
                interaction.message.id, content=text or strings.t(
                    "verdict.consent_confirm", await gateway.language(user)), view=None)

    # --- the error hooks -------------------------------------------------------------------

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's hook for whatever an event handler raised: log it; an interaction
        still unanswered gets the generic sentence. Never raises."""
        error = sys.exc_info()[1]
        log.error("discord.listener_failed", event=event_method,
                  error=type(error).__name__, exc_info=error)
        interaction = next((a for a in args if isinstance(a, discord.Interaction)), None)
        if interaction is not None:
            await self._tell(interaction)

    async def on_command_error(self, interaction: discord.Interaction,
                               error: app_commands.AppCommandError) -> None:
        cause = getattr(error, "original", error)
        log.error("discord.command_failed", error=type(cause).__name__, exc_info=cause)
        await self._tell(interaction)

    async def _tell(self, interaction: discord.Interaction) -> None:
        try:
            lang = await self._gateway().language(str(interaction.user.id))
            text = strings.t("error.generic", lang)
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except Exception as exc:  # the caller cannot be reached; the failure is logged above
            log.warning("discord.respond_failed", error=type(exc).__name__)


def _channel_of(interaction: discord.Interaction) -> str:
    """The channel an interaction came from (a thread's parent, as messages map it)."""
    channel = interaction.channel
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    return str(parent or interaction.channel_id or "")
