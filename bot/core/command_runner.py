"""What ``Gateway.run_command`` runs: every command a user gives Miru besides a question, the
same on every platform (``bot.core.commands`` values in, the sentence to show out).

Personal choices (``lang``, ``history``) and ``forget`` touch only the caller's own data and
are audited (``Account``); ``admin`` is for admins (``bot.core.admin``); ``help`` lists
``admin`` to admins only; a consent answer counts only from the uploader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from bot import strings
from bot.core.admin import Caller, run_admin
from bot.core.commands import (
    Admin,
    AnswerConsent,
    Appeal,
    Command,
    Forget,
    Help,
    History,
    Home,
    Receipts,
    SetLanguage,
    Unknown,
)
from bot.core.help import help_text
from bot.errors import MiruError, StoreUnavailable

if TYPE_CHECKING:
    from bot.core.gateway_types import GatewayLike as Gateway

log = structlog.get_logger(__name__)


class CommandRunner:
    """Runs one command for one gateway (its platform, app, access and review desk)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.app = gateway.app
        self.name = gateway.name

    async def run(self, cmd: Command, user: str, caller: Caller | None) -> str:
        lang = await self.gateway.language(user, cmd.text if isinstance(cmd, Unknown) else "")
        try:
            if isinstance(cmd, Admin):
                return await self._admin(cmd, user, caller, lang)
            if isinstance(cmd, Help):
                return help_text(lang, self.gateway.platform.info,
                                 admin=await self._is_admin(user, caller))
            if isinstance(cmd, Appeal):
                return await self._appeal(cmd, user, caller, lang)
            return await self._run(cmd, user, lang)
        except MiruError as exc:
            log.warning("gateway.command_failed", platform=self.name,
                        command=type(cmd).__name__, code=exc.code)
            return exc.user_message(lang)

    async def _is_admin(self, user: str, caller: Caller | None) -> bool:
        """For the help's ``admin`` line: a workspace admin here (unknown counts as no)."""
        if caller is None or caller.user != user or caller.workspace in ("", "dm"):
            return False
        try:
            return await self.gateway.access.is_admin(self.name, caller.workspace, user,
                                                      caller.member)
        except StoreUnavailable:
            return False

    async def _admin(self, cmd: Admin, user: str, caller: Caller | None, lang: str) -> str:
        if caller is None or caller.user != user:  # an adapter that gave no workspace
            caller = Caller(self.name, "", "", user)
        return await run_admin(self.gateway.access, self.app.audit, cmd, caller, lang)

    async def _appeal(self, cmd: Appeal, user: str, caller: Caller | None, lang: str) -> str:
        """Only from the case's own workspace (guild): a command outside any guild counts as
        from direct messages (``dm``, as their uploads are); an adapter that gave no caller
        appeals from no workspace, and is refused like another workspace."""
        if not cmd.case:
            return strings.t("review.appeal_usage", lang)
        if self.gateway.review is None:
            return strings.t("store.unavailable", lang)
        workspace = (caller.workspace or "dm") if caller is not None and caller.user == user \
            else ""
        return await self.gateway.review.appeal(self.name, user, cmd.case, lang,
                                                workspace=workspace)

    async def _run(self, cmd: Command, user: str, lang: str) -> str:
        account = self.app.account
        if isinstance(cmd, Forget):
            count = await account.forget_user(self.name, user)
            return strings.t("cmd.forgot", lang, count=count)
        if isinstance(cmd, SetLanguage):
            if cmd.lang not in strings.LANGS:
                return strings.t("cmd.lang_usage", lang)
            await account.set_language(self.name, user, cmd.lang)
            return strings.t("cmd.lang_set", cmd.lang)
        if isinstance(cmd, History):
            return await self._history(cmd, user, lang)
        if isinstance(cmd, AnswerConsent):
            return await self._consent(cmd, user, lang)
        if isinstance(cmd, Home):  # where the home view lives on this platform
            home_tab = self.gateway.platform.info.home_tab
            return strings.t("cmd.settings_home" if home_tab else "help.settings_command", lang)
        if isinstance(cmd, Receipts):  # adapters start one with Gateway.start_receipts
            return strings.t("help.receipts", lang)
        return strings.t("cmd.unknown", lang)

    async def _history(self, cmd: History, user: str, lang: str) -> str:
        """``on`` / ``off`` set the caller's choice; nothing tells the current setting, what is
        kept and for how long (and whether this channel's policy keeps nothing anyway)."""
        account = self.app.account
        if cmd.setting not in ("", "on", "off"):
            return strings.t("cmd.history_usage", lang)
        if cmd.setting:
            await account.set_history(self.name, user, cmd.setting == "on")
            on = cmd.setting == "on"
        else:
            on = await account.history_on(self.name, user)
        retention = self.app.policy.retention
        text = strings.t("cmd.history_on" if on else "cmd.history_off", lang,
                         turns_days=_days(retention.turns_days),
                         images_days=_days(retention.images_days))
        if cmd.channel and not account.channel_history_on(cmd.channel):
            text += "\n" + strings.t("cmd.history_channel_off", lang)
        return text

    async def _consent(self, cmd: AnswerConsent, user: str, lang: str) -> str:
        """Only the uploader's press counts (``Account.confirm_consent`` checks); a confirmed
        request is submitted again and answered in its thread."""
        message = await self.app.account.confirm_consent(cmd.request_id, user,
                                                          confirmed=cmd.confirmed)
        if not cmd.confirmed:
            return strings.t("verdict.consent_cancelled", lang)
        if message is None:
            return strings.t("verdict.consent_expired", lang)
        status = await self.gateway.submit(message)
        return "" if status != "unavailable" else strings.t("store.unavailable", lang)


def _days(value: float) -> str:
    """A retention in days as people write it (7, not 7.0; 0.5 stays 0.5)."""
    return f"{value:g}"
