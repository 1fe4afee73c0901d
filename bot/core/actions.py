"""Buttons under replies (receipt cards' Approve and Reject), the same on every platform.

A press is the presser typing a command in the card's thread: the adapter decodes the button's
value (``unpack``), asks for a reason first where the button says so (a Slack modal, a Discord
form, titled by ``form``), and hands the typed text to ``Gateway.press``, which checks the
presser's permission at once (a refusal is private) and queues it like any message. So a
button and the typed ``approve #2`` take one path, with the same permission, audit and reply.

A value is ``a1|<level>|<ask>|<command>`` (at most ``MAX_VALUE`` characters: Discord's
``custom_id`` holds 100 with the adapter's prefix): the level a press needs, whether a reason
is asked (``1``/``0``), and the command. A forged value can only ever type a command the
presser could have typed themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import strings
from bot.core.access import NO_MEMBER, Member, at_least
from bot.models import IncomingMessage, ReplyAction
from config.policy import Level

if TYPE_CHECKING:
    from bot.core.gateway import Gateway, Notify

MAX_VALUE = 80
MAX_REASON = 200
_VERSION = "a1"
_TARGET = re.compile(r"#(\d{1,4})")


@dataclass(frozen=True)
class Press:
    """A decoded button: what the press types, the level it needs, whether it asks why."""

    command: str
    needs: Level
    ask: bool = False

    def typed(self, reason: str = "") -> str:
        """The message the press stands for: the command, then ``: reason`` when given (one
        line, at most ``MAX_REASON`` characters)."""
        reason = " ".join(reason.split())[:MAX_REASON]
        return f"{self.command}: {reason}" if reason else self.command


@dataclass(frozen=True)
class Form:
    """What a platform shows to ask for a reason: title, the field's label, the submit
    button."""

    title: str
    field: str
    submit: str


def button(label: str, command: str, needs: Level, *, ask: bool = False,
           style: str = "") -> ReplyAction:
    value = "|".join((_VERSION, needs.value, "1" if ask else "0", command))
    if len(value) > MAX_VALUE:
        raise ValueError(f"button value too long: {value!r}")
    return ReplyAction(label, value, style)


def unpack(value: str) -> Press | None:
    """A button's value, or None for anything that is not one (forged, truncated, old)."""
    parts = value.split("|", 3)
    if len(parts) != 4 or parts[0] != _VERSION or parts[2] not in ("0", "1"):
        return None
    try:
        needs = Level(parts[1])
    except ValueError:
        return None
    command = " ".join(parts[3].split())
    if not command or len(value) > MAX_VALUE:
        return None
    return Press(command, needs, parts[2] == "1")


def form(press: Press, lang: str) -> Form:
    """The reason form for a press (a receipt's rejection: "Reject receipt #3")."""
    target = _TARGET.search(press.command)
    return Form(strings.t("expense.modal_title", lang, n=target.group(1) if target else "?"),
                strings.t("expense.modal_reason", lang),
                strings.t("expense.modal_submit", lang))


def refusal(needs: Level, level: str, lang: str) -> str:
    """What a presser without ``needs`` is told (privately)."""
    if needs is Level.APPROVE:
        return strings.t("expense.need_approve", lang, level=level)
    if needs is Level.SHARE:
        return strings.t("expense.need_share", lang, level=level)
    return strings.t("access.need_edit", lang, level=level)


async def permitted(gateway: Gateway, message: IncomingMessage, press: Press, *,
                    notify: Notify, member: Member = NO_MEMBER) -> IncomingMessage | str:
    """The press (as ``message``, its typed text) stamped with the presser's level, or the
    status of a refusal: no access here (``Gateway.permit``), or below the level the button
    needs (told privately through ``notify`` and audited). Adapters ask this before showing a
    reason form too."""
    stamped = await gateway.permit(message, member, notify=notify)
    if isinstance(stamped, str):
        return stamped
    if not at_least(stamped.access, press.needs):
        await gateway.app.ingress.denied(stamped, {"reason": "level", "level": stamped.access,
                                                   "needs": press.needs.value})
        lang = await gateway.language(message.user)
        await notify(message, refusal(press.needs, stamped.access, lang))
        return "denied"
    return stamped


async def submit_press(gateway: Gateway, message: IncomingMessage, press: Press, *,
                       notify: Notify, member: Member = NO_MEMBER) -> str:
    """Check the presser (``permitted``), then queue the press like a typed message; the
    submit status."""
    stamped = await permitted(gateway, message, press, notify=notify, member=member)
    if isinstance(stamped, str):
        return stamped
    return await gateway.submit(stamped)
