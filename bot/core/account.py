"""What a user asks about their own data and choices, on any platform: the answer language, a
consent answer, ``forget``, history on/off. The gateway's commands and the pipeline both use it.

The language of an answer follows the person (issue 22): ``bot.core.answer_lang`` says in which
order an explicit ask, the thread, the message's own language and the user's setting count.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot import strings
from bot.core.answer_lang import choose
from bot.core.lang import detect_language
from bot.errors import StoreUnavailable
from bot.models import IncomingMessage
from bot.services import Services
from config.policy import HistoryMode

log = logging.getLogger(__name__)

HISTORY_PREF = "history"
class Account:
    """One user's preferences and data, through the stores; every change is audited."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def language_for(self, platform: str, user: str, text: str = "",
                           explicit: str | None = None) -> str:
        """The language to answer in: explicit, else the user's choice (``lang``), else the
        configured one, else detected from ``text``."""
        if explicit in strings.LANGS:
            return explicit
        try:
            pref = await self.s.state.get_pref(platform, user, "lang")
        except StoreUnavailable:
            pref = None
        if pref in strings.LANGS:
            return pref
        if self.s.settings.language in strings.LANGS:
            return self.s.settings.language
        return detect_language(text, default="en")

    async def answer_language(self, msg: IncomingMessage, *, remember: bool = True) -> str:
        """The language to answer ``msg`` in (``bot.core.answer_lang``). With ``remember``
        (and history kept), the choice becomes the thread's language for later turns, unless
        only the bare default decided (a bare image from someone with no setting leaves the
        thread open). Store failures never fail a request: the thread's language is then
        unknown, or not recorded."""
        try:
            recorded = await self.s.memory.language(msg.thread_key)
        except StoreUnavailable:
            recorded = None
        choice = choose(msg.text, explicit=msg.language, recorded=recorded,
                        setting=await self.chosen_language(msg.platform, msg.user),
                        configured=self.s.settings.language)
        if remember and choice.recorded is not None and await self.keeps_history(msg):
            try:
                await self.s.memory.set_language(msg.thread_key, msg.user, choice.recorded)
            except StoreUnavailable as exc:
                log.warning("thread language not recorded: %s", exc.detail)
        return choice.lang

    async def confirm_consent(self, request_id: str, user: str, *, confirmed: bool
                              ) -> IncomingMessage | None:
        """The uploader answered the consent prompt. Returns the request to run again, or None."""
        pending = await self.s.state.pop_pending(request_id)
        if pending is None or pending.user != user:
            if pending is not None:  # someone else pressed the button: put it back
                await self.s.state.save_pending(request_id, pending, self.s.pending_ttl_s)
            return None
        await self.s.audit.write(self.s.audit.record(
            "consent", request_id, platform=pending.platform, user=user,
            channel=pending.channel, thread=pending.thread,
            action="confirmed" if confirmed else "cancelled"))
        if not confirmed:
            return None
        return _with_consent(pending)

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete the user's data; a ``history off`` choice survives it (forgetting must not
        quietly switch keeping back on)."""
        history_off = not await self.history_on(platform, user)
        count = await self.s.memory.forget_user(platform, user)
        if history_off:
            await self.s.state.set_pref(platform, user, HISTORY_PREF, HistoryMode.OFF.value)
        await self.s.audit.write(self.s.audit.record(
            "forget", f"{platform}:forget", platform=platform, user=user,
            detail={"items": count}))
        return count

    async def chosen_language(self, platform: str, user: str) -> str | None:
        """The user's own ``/miru lang`` choice, or None (not set, or unreadable)."""
        try:
            pref = await self.s.state.get_pref(platform, user, "lang")
        except StoreUnavailable:
            return None
        return pref if pref in strings.LANGS else None

    async def set_language(self, platform: str, user: str, lang: str) -> None:
        """Record the choice (a preference) and audit it, as ``set_history`` does."""
        if lang not in strings.LANGS:
            raise ValueError(lang)
        await self.s.state.set_pref(platform, user, "lang", lang)
        await self.s.audit.write(self.s.audit.record(
            "language", f"{platform}:language", platform=platform, user=user, action=lang))

    async def history_on(self, platform: str, user: str) -> bool:
        """The user's own choice (``/miru history on|off``); on unless they turned it off.
        Raises ``StoreUnavailable`` when the choice cannot be read."""
        return await self.s.state.get_pref(platform, user, HISTORY_PREF) != HistoryMode.OFF.value

    def channel_history_on(self, channel: str) -> bool:
        """The channel's policy (``history``, default from ``[defaults]``)."""
        return self.s.policy.channel(channel).history is HistoryMode.ON

    async def keeps_history(self, msg: IncomingMessage) -> bool:
        """Whether anything of this message's conversation may be kept: the channel's policy
        and the user's choice must both allow it. A choice that cannot be read counts as off
        (keep nothing rather than keep against someone's wish)."""
        if not self.channel_history_on(msg.channel):
            return False
        if not self.s.policy.tier_for(msg.workspace)[1].history:  # the plan keeps none
            return False
        try:
            return await self.history_on(msg.platform, msg.user)
        except StoreUnavailable:
            return False

    async def set_history(self, platform: str, user: str, on: bool) -> None:
        """Record the choice (a preference, not conversation data) and audit it."""
        value = HistoryMode.ON if on else HistoryMode.OFF
        await self.s.state.set_pref(platform, user, HISTORY_PREF, value.value)
        await self.s.audit.write(self.s.audit.record(
            "history", f"{platform}:history", platform=platform, user=user,
            action=value.value))


def _with_consent(msg: IncomingMessage) -> IncomingMessage:
    """The parked request again, confirmed, under a new event id (so it answers once)."""
    return replace(msg, consent_confirmed=True,
                   event_id=(msg.event_id or msg.message_id) + ":consent")
