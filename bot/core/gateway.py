"""The platform-neutral gateway: what every adapter's listeners call once they have translated.

An adapter turns a platform event into an ``IncomingMessage`` (or a typed command from
``bot.core.commands``) and hands it here. The gateway applies the rules that are the same on
every platform: the optional allow-list hook, the follow-up rule (a channel message without a
mention counts only in a thread Miru answered in), a cap on submissions in flight, enqueueing
through ``App.submit`` (which drops re-deliveries), and, when the queue is down, a reply in the
thread plus an audit record. It never runs the pipeline: workers answer.

Errors: a ``MiruError`` becomes the user's sentence; anything else propagates to the adapter's
one error hook (Bolt's ``app.error``, discord.py's ``on_error``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import structlog

from bot import strings
from bot.core.access import NO_MEMBER, Access, Member
from bot.core.admin import Caller, run_admin
from bot.core.commands import (
    Admin,
    AnswerConsent,
    Appeal,
    Command,
    Forget,
    Help,
    History,
    SetLanguage,
    Unknown,
)
from bot.core.outcome import request_id_for
from bot.errors import MiruError, StoreUnavailable
from bot.models import IncomingMessage, Reply, ReplyKind, Status
from bot.ports import Platform

if TYPE_CHECKING:
    from bot.core.account import Account
    from bot.core.ingress import Ingress
    from bot.core.quota import Admission
    from bot.evidence.audit import AuditLog
    from bot.review.desk import ReviewDesk
    from bot.stores.base import StateStore
    from config.policy import PolicyConfig

log = structlog.get_logger(__name__)

MAX_INFLIGHT = 32
UNAVAILABLE = "unavailable"
REFUSED = "refused"  # over a quota: the user was told when it resets
DENIED = "denied"  # no permission here (team permissions): the user was told, privately
Notify = Callable[[IncomingMessage, str], Awaitable[None]]


class Submitted(Protocol):
    @property
    def status(self) -> str: ...


class GatewayApp(Protocol):
    """What the gateway needs of ``bot.runtime.App`` (tests pass a real one on memory stores)."""

    @property
    def account(self) -> Account: ...

    @property
    def state(self) -> StateStore: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def policy(self) -> PolicyConfig: ...

    @property
    def ingress(self) -> Ingress: ...

    async def submit(self, message: IncomingMessage) -> Submitted: ...


class Gateway:
    """One platform's gateway. ``platform`` is what the "cannot work right now" reply is posted
    on; ``allow`` (optional) is the workspace allow-list hook: a message it refuses is dropped
    before anything else runs. At most ``max_inflight`` submissions talk to Redis at once: a
    burst of events then waits here, after the platform got its acknowledgement, instead of
    exhausting the Redis connection pool and telling people Miru is down.

    ``access`` (team permissions, ``bot.core.access``) is checked before quotas, through the
    app's ``Ingress`` (which audits refusals); a workspace with no permissions table lets
    everyone in at ``share``. ``notify(message, text)`` tells a refused user privately (Slack:
    an ephemeral message; Discord: a reply that deletes itself); without it the refusal is
    posted in the thread. Adapters get their gateway from ``bot.runtime.App.gateway``."""

    def __init__(self, app: GatewayApp, platform: Platform, *, access: Access,
                 max_inflight: int = MAX_INFLIGHT,
                 allow: Callable[[IncomingMessage], bool] | None = None,
                 review: ReviewDesk | None = None,
                 notify: Notify | None = None) -> None:
        self.app = app
        self.platform = platform
        self.allow = allow
        self.review = review  # the moderators' desk (appeals; adapters route card buttons)
        self.access = access
        self.notify = notify
        self._inflight = asyncio.Semaphore(max_inflight)

    @property
    def name(self) -> str:
        return self.platform.name

    async def on_message(self, message: IncomingMessage, *, follow_up: bool = False,
                         member: Member = NO_MEMBER) -> str | None:
        """Take one translated message. ``follow_up``: it has no mention of Miru and is not a
        DM, so it counts only in a thread Miru already answered in. ``member``: what the event
        said of its author (Discord roles). Returns the submit status (``accepted``,
        ``duplicate``, ``unavailable``, ``refused``, ``denied``), or None when the message was
        dropped."""
        if self.allow is not None and not self.allow(message):
            log.info("gateway.not_allowed", platform=self.name, workspace=message.workspace,
                     channel=message.channel)
            return None
        if follow_up and not message.is_dm:
            try:
                if not await self.app.state.is_active(message.thread_key):
                    return None
            except StoreUnavailable as exc:  # cannot tell whether Miru is in this thread
                log.warning("gateway.active_check_failed", platform=self.name, error=exc.code)
                return None
        permitted = await self.permit(message, member)
        if isinstance(permitted, str):
            return permitted
        return await self.submit(permitted)

    async def permit(self, message: IncomingMessage, member: Member = NO_MEMBER, *,
                     notify: Notify | None = None) -> IncomingMessage | str:
        """Team permissions: the message stamped with its author's level, or the status of a
        refusal (``denied``: told privately through ``notify`` and audited; ``unavailable``:
        the permissions could not be read, so nothing is queued)."""
        try:
            decision = await self.app.ingress.permit(self.access, message, member)
        except StoreUnavailable as exc:  # fail closed: never answer on unknown permissions
            log.warning("gateway.access_unavailable", platform=self.name, error=exc.code)
            if notify is None:
                await self._unavailable(message)
            else:  # the caller's own private channel (a Discord interaction)
                with contextlib.suppress(Exception):
                    await notify(message, strings.t("store.unavailable", await self.language(
                        message.user, message.text)))
            return UNAVAILABLE
        if decision is None:  # no permissions here: everyone in, the message as it came
            return message
        if not decision.refused:
            return dataclasses.replace(message, access=decision.level.value)
        await self._denied(message, decision.refused, notify or self.notify)
        return DENIED

    async def _denied(self, message: IncomingMessage, reason: str, notify: Notify | None
                      ) -> None:
        """Tell the refused user (the ingress audited the refusal)."""
        lang = await self.language(message.user, message.text)
        text = strings.t(f"access.denied_{reason}", lang)
        try:
            if notify is not None:
                await notify(message, text)
            else:
                await self.platform.conversation(message).reply(
                    Reply(ReplyKind.INFO, text, message.thread_key, request_id_for(message)))
        except Exception as exc:  # told or not, nothing was queued; the audit record stands
            log.warning("gateway.denied_notice_failed", platform=self.name,
                        error=type(exc).__name__)

    async def submit(self, message: IncomingMessage) -> str:
        """Check the workspace's quotas, then enqueue; when the queue (or the quota store) is
        down, tell the user in the thread and audit it. Over a quota: ``refused``, and the
        user is told what ran out and when it resets."""
        async with self._inflight:
            admission = await self._admit(message)
            admitted = admission is not None and admission.ok
            result = await self.app.submit(message) if admitted else None
        if admission is not None and not admission.ok:
            await self._refused(message, admission)
            return REFUSED
        if result is None or result.status == UNAVAILABLE:
            if admitted:
                await self.app.ingress.refund(message)
            await self._unavailable(message)
            return UNAVAILABLE
        return result.status

    async def _admit(self, message: IncomingMessage) -> Admission | None:
        """The quota check (``Ingress.admit``: one Lua script, a refusal audited); None when
        the quota store is down (fail closed: nothing is queued that no quota counted)."""
        try:
            return await self.app.ingress.admit(message)
        except StoreUnavailable as exc:
            log.warning("gateway.quota_unavailable", platform=self.name, error=exc.code)
            return None

    async def _refused(self, message: IncomingMessage, admission: Admission) -> None:
        """Tell the user which quota ran out and when it resets (the ingress audited it)."""
        lang = await self.language(message.user, message.text)
        reset = (admission.reset_at.strftime("%Y-%m-%d %H:%M UTC")
                 if admission.reset_at is not None else "")
        text = strings.t(f"quota.{admission.scope}", lang, limit=admission.limit, reset=reset)
        conversation = self.platform.conversation(message)
        try:
            await conversation.reply(Reply(ReplyKind.INFO, text, message.thread_key,
                                           request_id_for(message)))
        except MiruError as exc:
            log.error("gateway.reply_failed", platform=self.name, error=exc.code)
        await conversation.status(Status.FAILED)

    async def _unavailable(self, message: IncomingMessage) -> None:
        await self.app.ingress.unavailable(message)
        lang = await self.language(message.user, message.text)
        conversation = self.platform.conversation(message)
        try:
            await conversation.reply(Reply(ReplyKind.ERROR, strings.t("store.unavailable", lang),
                                           message.thread_key, request_id_for(message)))
        except MiruError as exc:
            log.error("gateway.reply_failed", platform=self.name, error=exc.code)
        await conversation.status(Status.FAILED)

    async def language(self, user: str, text: str = "") -> str:
        """The caller's answer language: their ``lang`` choice, the setting, or ``text``'s."""
        return await self.app.account.language_for(self.name, user, text)

    async def run_command(self, cmd: Command, user: str, *, caller: Caller | None = None
                          ) -> str:
        """Run ``cmd`` for ``user`` on this platform; the sentence to show them. An empty
        string means nothing to show (a confirmed consent: the prompt goes, the answer follows
        in the thread). ``caller``: where it was run and what the event said of the user
        (``/miru admin`` needs it). A ``MiruError`` becomes its sentence; anything else
        propagates."""
        lang = await self.language(user, cmd.text if isinstance(cmd, Unknown) else "")
        try:
            if isinstance(cmd, Admin):
                return await self._admin(cmd, user, caller, lang)
            return await self._run(cmd, user, lang)
        except MiruError as exc:
            log.warning("gateway.command_failed", platform=self.name,
                        command=type(cmd).__name__, code=exc.code)
            return exc.user_message(lang)

    async def _admin(self, cmd: Admin, user: str, caller: Caller | None, lang: str) -> str:
        if caller is None or caller.user != user:  # an adapter that gave no workspace
            caller = Caller(self.name, "", "", user)
        return await run_admin(self.access, self.app.audit, cmd, caller, lang)

    async def _run(self, cmd: Command, user: str, lang: str) -> str:
        account = self.app.account
        if isinstance(cmd, Help):
            return strings.t("cmd.help", lang)
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
        if isinstance(cmd, Appeal):
            if not cmd.case:
                return strings.t("review.appeal_usage", lang)
            if self.review is None:
                return strings.t("store.unavailable", lang)
            return await self.review.appeal(self.name, user, cmd.case, lang)
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
        status = await self.submit(message)
        return "" if status != UNAVAILABLE else strings.t("store.unavailable", lang)


def _days(value: float) -> str:
    """A retention in days as people write it (7, not 7.0; 0.5 stays 0.5)."""
    return f"{value:g}"
