"""``/miru receipts``: start an expense thread in a channel, as ``@Miru receipts`` does.

A slash command has no message to make a thread of, so the adapter posts one in the channel
(``post_root``: "expense thread started by …") and the thread hangs from it. Before anything is
posted: not in a DM, the workspace's plan has expense threads, the caller may use Miru here
(``Gateway.permit``: told privately and audited when not) and has the ``edit`` level that
keeping a ledger needs. Then a message with the text ``receipts`` goes through the ordinary
queue (quotas, de-duplication) to a worker, whose expense-thread branch marks the thread and
answers in it with how to use it, exactly as for ``@Miru receipts``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import strings
from bot.core.access import Member, Subject, at_least
from bot.core.admin import mention
from bot.models import IncomingMessage
from config.policy import Level

if TYPE_CHECKING:
    from bot.core.gateway_types import GatewayLike as Gateway
    from bot.core.gateway_types import Notify

PostRoot = Callable[[str], Awaitable[tuple[str, str]]]
"""Post the thread's first message (the text given) in the channel; returns its message id
and the thread the expense thread lives in (on Discord a thread the command already ran in)."""

START_TEXT = "receipts"  # what the worker's expense-thread branch reads as "start one"


async def start_receipts(gateway: Gateway, message: IncomingMessage, member: Member, *,
                         post_root: PostRoot, notify: Notify | None) -> str:
    """The sentence for the caller ("" when they were already told). ``message``: the
    command as a message in the channel (its thread and id are replaced by the root's)."""
    lang = await gateway.language(message.user)
    if message.is_dm or not message.channel:
        return strings.t("receipts.no_channel", lang)
    if not gateway.app.policy.tier_for(message.workspace)[1].receipts:
        return strings.t("receipts.off_plan", lang)
    permitted = await gateway.permit(message, member, notify=notify)
    if isinstance(permitted, str):  # refused (told privately) or permissions unreadable
        return ""
    if not at_least(permitted.access, Level.EDIT):
        return strings.t("access.need_edit", lang, level=permitted.access)
    who = mention(message.platform, Subject("user", message.user))
    root, thread = await post_root(strings.t("receipts.thread_root", lang, user=who))
    status = await gateway.submit(dataclasses.replace(
        permitted, thread=thread, message_id=root, text=START_TEXT, images=(),
        event_id=f"receipts:{message.workspace}:{message.channel}:{root}"))
    if status in ("unavailable", "refused"):  # the thread was told why
        return ""
    return strings.t("receipts.command_started", lang)
