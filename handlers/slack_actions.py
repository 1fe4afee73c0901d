"""Buttons under Miru's replies on Slack: receipt cards' Approve and Reject (``bot.core.actions``).

A reply with ``actions`` is posted as Block Kit: its text in section blocks, then one
``actions`` block (``action_id`` ``miru_act_<i>``, ``value`` the core's packed press). A press
is acknowledged at once; then:

- a button that asks for a reason (Reject) checks the presser's level first (a refusal is an
  ephemeral notice) and opens a modal (``views.open`` with the press's ``trigger_id``); its
  submission (``view_submission``, callback ``miru_act_reason``) is the press with the reason;
- any other press goes straight on.

Either way the press becomes the presser's message in the card's thread (``approve #2``,
``reject #3: reason``) and goes through ``bot.core.actions.submit_press``: the same
permissions, queue, audit and reply as typing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog

from bot import strings
from bot.core.access import NO_MEMBER, Member
from bot.core.actions import Form, Press, form, permitted, submit_press, unpack
from bot.core.chunking import split_text
from bot.models import IncomingMessage, ReplyAction

if TYPE_CHECKING:
    from bot.core.gateway import Gateway, Notify

log = structlog.get_logger(__name__)

ACTION_RE = re.compile(r"^miru_act_\d+$")
REASON_VIEW = "miru_act_reason"
SECTION_CHARS = 2900  # Slack's section text holds 3000
MAX_BUTTONS = 25  # one actions block holds 25 elements


def action_blocks(text: str, actions: Sequence[ReplyAction]) -> list[dict[str, Any]]:
    """``text`` (already escaped) as sections, then the buttons."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": c}}
                                    for c in split_text(text, SECTION_CHARS) if c.strip()]
    blocks.append({"type": "actions", "block_id": "miru_actions", "elements": [
        {"type": "button", "action_id": f"miru_act_{i}", "value": a.value,
         "text": {"type": "plain_text", "text": a.label[:75]},
         **({"style": a.style} if a.style in ("primary", "danger") else {})}
        for i, a in enumerate(actions[:MAX_BUTTONS])]})
    return blocks


def pressed(body: dict[str, Any], text: str, event: str, team: str = "") -> IncomingMessage | None:
    """The press as the presser's message in the card's thread; None when the body lacks
    where or who. ``team``: the workspace that received it (Bolt's ``context.team_id``, as for
    messages: a Slack Connect user's press lands in the same ledger as everyone's)."""
    user = body.get("user") or {}
    container = body.get("container") or {}
    message = body.get("message") or {}
    team = team or (body.get("team") or {}).get("id") or user.get("team_id") or ""
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    card = message.get("ts") or container.get("message_ts") or ""
    thread = message.get("thread_ts") or container.get("thread_ts") or card
    if not (user.get("id") and channel and thread):
        return None
    return IncomingMessage(
        platform="slack", workspace=team, channel=channel, thread=thread,
        message_id=card or thread, user=str(user["id"]), text=text,
        event_id=f"{team}:{channel}:act:{event}", is_dm=channel.startswith("D"),
        user_name=str(user.get("name") or user.get("username") or ""))


def reason_view(f: Form, metadata: dict[str, str]) -> dict[str, Any]:
    """The modal that asks why (Slack: titles hold 24 characters, inputs 200 here)."""
    return {
        "type": "modal", "callback_id": REASON_VIEW,
        "private_metadata": json.dumps(metadata, ensure_ascii=False),
        "title": {"type": "plain_text", "text": f.title[:24]},
        "submit": {"type": "plain_text", "text": f.submit[:24]},
        "blocks": [{"type": "input", "block_id": "reason", "label": {
            "type": "plain_text", "text": f.field[:2000]}, "element": {
            "type": "plain_text_input", "action_id": "reason", "max_length": 200,
            "min_length": 1}}],
    }


async def on_action(gateway: Gateway, client: Any, body: dict[str, Any], respond: Any, *,
                    team: str = "", member: Member = NO_MEMBER) -> None:
    """A button press (already acknowledged); ``team``: Bolt's ``context.team_id``;
    ``member``: what the payload says of the presser (another organisation's user: no
    admin)."""
    action = (body.get("actions") or [{}])[0]
    press = unpack(str(action.get("value") or ""))
    event = str(action.get("action_ts") or body.get("trigger_id") or "")
    message = pressed(body, press.command, event, team) if press is not None else None
    if press is None or message is None:
        log.warning("slack.action_unreadable", action=str(action.get("action_id"))[:40])
        return

    async def notify(_message: IncomingMessage, text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    if not press.ask:
        await submit_press(gateway, message, press, notify=notify, member=member)
        return
    stamped = await permitted(gateway, message, press, notify=notify, member=member)
    if isinstance(stamped, str):
        return
    lang = await gateway.language(message.user)
    metadata = {"value": str(action.get("value")), "team": message.workspace,
                "channel": message.channel, "thread": message.thread,
                "card": message.message_id, "name": message.user_name}
    await client.views_open(trigger_id=body.get("trigger_id"),
                            view=reason_view(form(press, lang), metadata))


async def on_reason(gateway: Gateway, notify: Notify, body: dict[str, Any], *,
                    member: Member = NO_MEMBER) -> None:
    """The reason modal's submission (already acknowledged: the modal closes)."""
    view = body.get("view") or {}
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        reason = str(view["state"]["values"]["reason"]["reason"]["value"] or "")
    except (ValueError, KeyError, TypeError):
        log.warning("slack.reason_unreadable")
        return
    press: Press | None = unpack(str(meta.get("value") or ""))
    user = (body.get("user") or {}).get("id") or ""
    if press is None or not user or not meta.get("channel") or not meta.get("thread"):
        log.warning("slack.reason_unreadable")
        return
    message = IncomingMessage(
        platform="slack", workspace=str(meta.get("team") or ""), channel=str(meta["channel"]),
        thread=str(meta["thread"]), message_id=str(meta.get("card") or meta["thread"]),
        user=str(user), text=press.typed(reason),
        event_id=f"{meta.get('team')}:{meta['channel']}:act:{view.get('id') or ''}",
        is_dm=str(meta["channel"]).startswith("D"), user_name=str(meta.get("name") or ""))
    if not reason.strip():
        lang = await gateway.language(message.user)
        await notify(message, strings.t("expense.reason_needed", lang))
        return
    await submit_press(gateway, message, press, notify=notify, member=member)
