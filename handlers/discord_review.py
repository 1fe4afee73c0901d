"""Review cards on Discord (an embed and buttons) and the moderators' presses.

The card (in the team's moderators channel) shows the case id, action, reason codes, scores,
who posted where (a jump link) and when, and every age signal with where it came
from. ``hold`` cases carry Approve / Reject / Escalate /
Reveal and a heavily blurred preview as the embed's image; ``block_and_preserve`` cases carry
Reject / Escalate, no image of any kind, and the reporting steps. Reveal sends a copy without
metadata in a direct message to the moderator, tracked and deleted by a worker when the case is
decided or purged (audited); the press itself is answered ephemerally. A rejection deletes
the uploader's message where Miru has Manage Messages; without it the uploader is asked to.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord
import structlog

from bot import strings
from bot.review.desk import Presser, ReviewDesk
from bot.review.model import Case, CaseStatus, iso
from bot.review.reveals import RevealPost
from bot.review.signals import signal_lines
from bot.review.store import Card

if TYPE_CHECKING:
    from handlers.discord_client import DiscordPlatform

log = structlog.get_logger(__name__)

REVIEW_PREFIX = "miru:review:"  # custom_id: miru:review:<verb>:<case id>
REPORTING = ("Possible child sexual abuse material or a hash-list match. Do not open, copy, "
             "download or forward anything. Report it: US: NCMEC CyberTipline "
             "(report.cybertip.org); Japan: Internet Hotline Center (internethotline.jp) or the "
             "police. Escalate to keep the evidence under legal hold. See docs/reporting.md.")
PREVIEW_NAME = "preview-blurred.jpg"


def card_embed(case: Case, *, with_preview: bool = False) -> discord.Embed:
    colour = discord.Colour.orange() if case.previewable else discord.Colour.red()
    embed = discord.Embed(title=f"Review case {case.id}", colour=colour)
    scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(case.scores.items())) or "none"
    embed.add_field(name="Action", value=case.action)
    embed.add_field(name="Reasons", value=", ".join(case.reasons)[:1000] or "-")
    embed.add_field(name="Scores", value=scores[:1000])
    embed.add_field(name="Posted by", value=f"<@{case.user}>")
    embed.add_field(name="Where", value=f"<#{case.channel}> ({case.link})"[:1000])
    embed.add_field(name="When", value=case.created_iso)
    embed.add_field(name=strings.t("review.signals_title"), inline=False,
                    value=("\n".join(signal_lines(case.signals))
                           or strings.t("review.signals_none"))[:1000])
    if not case.previewable:
        embed.add_field(name="Reporting", value=REPORTING, inline=False)
    if case.status is not CaseStatus.PENDING:
        hold = " (legal hold)" if case.legal_hold else ""
        embed.add_field(name="Decision", inline=False, value=(
            f"{case.status.value}{hold} by {case.decided_by} at {iso(case.decided_at)}"))
    if with_preview and case.previewable:
        embed.set_image(url=f"attachment://{PREVIEW_NAME}")
    return embed


def card_view(case: Case) -> discord.ui.View | None:
    if case.status is not CaseStatus.PENDING:
        return None
    view = discord.ui.View(timeout=None)
    verbs = (["approve", "reject", "escalate", "reveal"] if case.previewable
             else ["reject", "escalate"])
    styles = {"approve": discord.ButtonStyle.success, "reject": discord.ButtonStyle.danger}
    for verb in verbs:
        view.add_item(discord.ui.Button(style=styles.get(verb, discord.ButtonStyle.secondary),
                                        label=verb.capitalize(),
                                        custom_id=f"{REVIEW_PREFIX}{verb}:{case.id}"))
    return view


async def post_card(platform: DiscordPlatform, channel: str, case: Case,
                    previews: list[bytes]) -> str:
    """Post the card; raises when the channel cannot be posted in (``Forbidden``…)."""
    await platform.login()
    target = platform.client.get_partial_messageable(int(channel))
    preview = previews[0] if previews and case.previewable else None
    kwargs: dict[str, Any] = {"embed": card_embed(case, with_preview=preview is not None)}
    view = card_view(case)
    if view is not None:
        kwargs["view"] = view
    if preview is not None:
        kwargs["file"] = discord.File(io.BytesIO(preview), filename=PREVIEW_NAME)
    sent = await target.send(**kwargs)
    return str(sent.id)


async def update_card(platform: DiscordPlatform, card: Card, case: Case) -> None:
    try:
        message = platform.client.get_partial_messageable(int(card.channel)).get_partial_message(
            int(card.message_id))
        await message.edit(embed=card_embed(case), view=None, attachments=[])
    except (discord.HTTPException, ValueError) as exc:
        log.warning("discord.review_card_update_failed", case=case.id, error=type(exc).__name__)


async def tell_uploader(platform: DiscordPlatform, case: Case, text: str, *,
                        delete: bool = False) -> None:
    """The outcome in the uploader's thread (Miru's thread has the message's id), else the
    channel; ``delete``: remove the upload where Miru may (Manage Messages)."""
    client = platform.client
    # no text: nothing is posted (a preserved case's uploader is never told)
    for channel in dict.fromkeys((case.thread, case.channel) if text else ()):
        try:
            await client.get_partial_messageable(int(channel)).send(f"<@{case.user}> {text}")
            break
        except (discord.HTTPException, ValueError) as exc:
            log.warning("discord.review_notice_failed", case=case.id, error=type(exc).__name__)
    if delete:
        # a message posted inside a thread lives in that thread, else in the channel
        inside = case.thread not in (case.message_id, case.channel)
        try:
            await client.get_partial_messageable(
                int(case.thread if inside else case.channel)).get_partial_message(
                int(case.message_id)).delete()
        except (discord.HTTPException, ValueError) as exc:  # no Manage Messages: the notice asks
            log.info("discord.review_delete_failed", case=case.id, error=type(exc).__name__)


async def on_review_press(desk: ReviewDesk, interaction: discord.Interaction, custom_id: str,
                          lang: str) -> None:
    """A card button: the answer goes to the presser only; a decision updates the card and
    tells the uploader; Reveal answers with the image, ephemeral."""
    verb, _, case_id = custom_id[len(REVIEW_PREFIX):].partition(":")
    user = interaction.user
    # the member's role ids as the interaction gave them (the guild's role cache may be cold)
    roles = tuple(str(r) for r in getattr(user, "_roles", ()))
    presser = Presser("discord", str(interaction.guild_id or ""), str(user.id), roles,
                      name=user.name)
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await desk.press(presser, case_id[:64], verb, lang=lang)
    message = result.message
    if (result.outcome == "revealed" and result.images
            and not await _reveal(desk, user, case_id[:64], result.images)):
        message = strings.t("review.reveal_dm_failed", lang, case=case_id[:64])
    await interaction.followup.send(message, ephemeral=True)
    if result.outcome == "ok" and result.case is not None:
        platform = desk_platform(interaction)
        card = await desk.review.store.card(result.case.id)
        if platform is not None:
            if card is not None:
                await update_card(platform, card, result.case)
            await tell_uploader(platform, result.case, result.uploader, delete=result.delete)


async def _reveal(desk: ReviewDesk, user: discord.User | discord.Member, case_id: str,
                  images: list[bytes]) -> bool:
    """The cleaned copies in a direct message to the moderator: unlike an ephemeral reply
    (whose webhook token lapses after 15 minutes), Miru can delete it whenever the case is
    decided or purged; it is tracked for that."""
    try:
        dm = await user.create_dm()
        sent = await dm.send(files=[
            discord.File(io.BytesIO(img), filename=f"case-{case_id}-{n}.{_ext(img)}")
            for n, img in enumerate(images, start=1)])
    except (discord.HTTPException, ValueError) as exc:  # DMs closed (50007), ...
        log.warning("discord.review_reveal_failed", case=case_id, error=type(exc).__name__)
        await desk.reveal_failed("discord", str(user.id), case_id, type(exc).__name__)
        return False
    await desk.revealed(case_id, RevealPost("discord", str(dm.id), (str(sent.id),)),
                        by=str(user.id))
    return True


def _ext(data: bytes) -> str:
    return "jpg" if data[:3] == b"\xff\xd8\xff" else "png"


async def withdraw_reveal(platform: DiscordPlatform, post: RevealPost) -> None:
    """Delete a Reveal's direct message (the bot's own message)."""
    await platform.login()
    channel = platform.client.get_partial_messageable(int(post.channel))
    for message_id in post.ids:
        await channel.get_partial_message(int(message_id)).delete()


def desk_platform(interaction: discord.Interaction) -> DiscordPlatform | None:
    return getattr(interaction.client, "review_platform", None)
