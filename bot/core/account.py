"""What a user asks about their own data and choices, on any platform: the answer language, a
consent answer, ``forget``. The gateway's commands and the pipeline both use it.
"""

from __future__ import annotations

from dataclasses import replace

from bot import strings
from bot.core.lang import detect_language
from bot.errors import StoreUnavailable
from bot.models import IncomingMessage
from bot.services import Services


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
        count = await self.s.memory.forget_user(platform, user)
        await self.s.audit.write(self.s.audit.record(
            "forget", f"{platform}:forget", platform=platform, user=user,
            detail={"items": count}))
        return count

    async def set_language(self, platform: str, user: str, lang: str) -> None:
        if lang not in strings.LANGS:
            raise ValueError(lang)
        await self.s.state.set_pref(platform, user, "lang", lang)


def _with_consent(msg: IncomingMessage) -> IncomingMessage:
    """The parked request again, confirmed, under a new event id (so it answers once)."""
    return replace(msg, consent_confirmed=True,
                   event_id=(msg.event_id or msg.message_id) + ":consent")
