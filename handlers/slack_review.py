"""Review cards on Slack (Block Kit) and the moderators' buttons.

A card shows the case id, action, reason codes, scores, who posted where (a link) and when, and
every age signal with where it came from (``bot.review.signals``: the cue, never the text).
``hold`` cases get Approve / Reject / Escalate / Reveal and a heavily blurred preview, uploaded
in the card's thread; ``block_and_preserve`` cases get Reject / Escalate, no image of any kind,
and the reporting steps (docs/reporting.md). After a decision the card shows who decided and
when, and loses its buttons. Reveal sends a copy without metadata to the moderator's direct
messages (Slack has no ephemeral files), tracked and deleted (``files.delete``) by a worker
when the case is decided or purged; the view and the deletion are audited. Bots cannot delete
other people's files on Slack, so a rejection asks the uploader (and the workspace's admins) to
delete it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import structlog

from bot import strings
from bot.review.desk import Presser, ReviewDesk
from bot.review.model import Case, CaseStatus, iso
from bot.review.reveals import RevealPost
from bot.review.signals import signal_lines
from bot.review.store import Card

if TYPE_CHECKING:
    from handlers.slack_client import SlackPlatform

log = structlog.get_logger(__name__)

ACTION_PREFIX = "miru_review_"
ACTION_RE = re.compile(r"^miru_review_(approve|reject|escalate|reveal)$")
REPORTING = ("Possible child sexual abuse material or a hash-list match. Do not open, copy, "
             "download or forward anything. Report it: in the US to NCMEC's CyberTipline "
             "(report.cybertip.org); in Japan to the Internet Hotline Center (internethotline.jp) "
             "or the police. Escalate this case to keep the evidence under legal hold. "
             "Steps: docs/reporting.md.")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def card_text(case: Case) -> str:
    return f"Review case {case.id}: {case.action} ({', '.join(case.reasons)})"


def card_blocks(case: Case) -> list[dict[str, Any]]:
    scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(case.scores.items())) or "none"
    where = f"<#{_esc(case.channel)}>" + (f" (<{case.link}|message>)" if case.link else "")
    fields = [f"*Case*\n{case.id}", f"*Action*\n{case.action}",
              f"*Reasons*\n{_esc(', '.join(case.reasons))}", f"*Scores*\n{_esc(scores)}",
              f"*Posted by*\n<@{_esc(case.user)}>", f"*Where*\n{where}",
              f"*When*\n{case.created_iso}", f"*Status*\n{case.status.value}",
              f"*{strings.t('review.signals_title')}*\n"
              + _esc("\n".join(signal_lines(case.signals))
                     or strings.t("review.signals_none"))]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Review case {case.id}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if not case.previewable:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": REPORTING}})
    if case.status is not CaseStatus.PENDING:
        hold = " (legal hold)" if case.legal_hold else ""
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"*{case.status.value}*{hold} by {_esc(case.decided_by)} at "
            f"{iso(case.decided_at)}")}]})
        return blocks
    verbs = (["approve", "reject", "escalate", "reveal"] if case.previewable
             else ["reject", "escalate"])
    styles = {"approve": "primary", "reject": "danger"}
    blocks.append({"type": "actions", "block_id": "miru_review", "elements": [
        {"type": "button", "action_id": ACTION_PREFIX + v, "value": case.id,
         "text": {"type": "plain_text", "text": v.capitalize()},
         **({"style": styles[v]} if v in styles else {})} for v in verbs]})
    return blocks


async def post_card(platform: SlackPlatform, channel: str, case: Case,
                    previews: list[bytes]) -> str:
    """Post the card, then (``hold`` only) the blurred previews in its thread. Raises on a
    channel Miru cannot post in (``not_in_channel``, ``channel_not_found``)."""
    resp = await platform.client.chat_postMessage(channel=channel, text=card_text(case),
                                                  blocks=card_blocks(case))
    ts = str(resp["ts"])
    if previews and case.previewable:
        uploads = [{"file": p, "filename": f"case-{case.id}-blurred-{n}.jpg"}
                   for n, p in enumerate(previews, start=1)]
        try:
            await platform.client.files_upload_v2(file_uploads=uploads, channel=channel,
                                                  thread_ts=ts, request_file_info=False)
        except Exception as exc:  # the card stands without its preview
            log.warning("slack.review_preview_failed", case=case.id, error=type(exc).__name__)
    return ts


async def update_card(platform: SlackPlatform, card: Card, case: Case) -> None:
    try:
        await platform.client.chat_update(channel=card.channel, ts=card.message_id,
                                          text=card_text(case), blocks=card_blocks(case))
    except Exception as exc:
        log.warning("slack.review_card_update_failed", case=case.id, error=type(exc).__name__)


async def tell_uploader(platform: SlackPlatform, case: Case, text: str) -> None:
    if not text:  # nothing to say (a preserved case's uploader is never told)
        return
    try:
        await platform.client.chat_postMessage(channel=case.channel, thread_ts=case.thread,
                                               text=f"<@{case.user}> {_esc(text)}")
    except Exception as exc:
        log.warning("slack.review_notice_failed", case=case.id, error=type(exc).__name__)


async def _reveal(desk: ReviewDesk, platform: SlackPlatform, user: str, case_id: str,
                  images: list[bytes]) -> bool:
    """The cleaned copies to the moderator's direct messages (Slack has no ephemeral files),
    tracked so that a worker deletes them when the case is decided or purged."""
    try:
        dm = await platform.client.conversations_open(users=user)
        channel = str(dm["channel"]["id"])
        resp = await platform.client.files_upload_v2(
            file_uploads=[{"file": img, "filename": f"case-{case_id}-{n}.{_ext(img)}"}
                          for n, img in enumerate(images, start=1)],
            channel=channel, request_file_info=False)
    except Exception as exc:
        log.warning("slack.review_reveal_failed", case=case_id, error=type(exc).__name__)
        await desk.reveal_failed("slack", user, case_id, type(exc).__name__)
        return False
    ids = tuple(str(f["id"]) for f in resp.get("files") or () if f.get("id"))
    await desk.revealed(case_id, RevealPost("slack", channel, ids), by=user)
    return True


def _ext(data: bytes) -> str:
    return "jpg" if data[:3] == b"\xff\xd8\xff" else "png"


async def withdraw_reveal(platform: SlackPlatform, post: RevealPost) -> None:
    """Delete a Reveal's files (the bot's own uploads: ``files.delete``)."""
    for file_id in post.ids:
        await platform.client.files_delete(file=file_id)


async def on_review_action(desk: ReviewDesk, platform: SlackPlatform, body: dict[str, Any],
                           respond: Any, lang: str, *, workspace: str = "") -> None:
    """A card button: ``desk.press``, the presser's ephemeral answer, then (a decision) the
    card updated and the uploader told; (Reveal) the image in the moderator's DMs.
    ``workspace``: the workspace the presser belongs to (``SlackTenant.actor_workspace``: a
    Slack Connect user's own, never this one), which must be the case's."""
    action = (body.get("actions") or [{}])[0]
    match = ACTION_RE.match(str(action.get("action_id") or ""))
    verb = match.group(1) if match else "unknown"
    case_id = str(action.get("value") or "")[:64]
    user = (body.get("user") or {}).get("id") or ""
    team = workspace or (body.get("team") or {}).get("id") or body.get("team_id") or ""
    presser = Presser("slack", team, user, name=(body.get("user") or {}).get("username") or "")

    async def in_group(group: str) -> bool:
        resp = await platform.client.usergroups_users_list(usergroup=group)
        return user in (resp.get("users") or [])

    result = await desk.press(presser, case_id, verb, lang=lang, in_group=in_group)
    message = result.message
    if (result.outcome == "revealed" and result.images
            and not await _reveal(desk, platform, user, case_id, result.images)):
        message = strings.t("review.reveal_dm_failed", lang, case=case_id)
    await respond(text=message, response_type="ephemeral", replace_original=False)
    if result.outcome == "ok" and result.case is not None:
        card = await desk.review.store.card(result.case.id)
        if card is not None:
            await update_card(platform, card, result.case)
        if result.uploader:  # nothing for a preserved case (docs/reporting.md)
            await tell_uploader(platform, result.case, result.uploader)
