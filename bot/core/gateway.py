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
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from bot import strings
from bot.core.access import NO_MEMBER, Access, Member
from bot.core.admin import Caller
from bot.core.command_runner import CommandRunner
from bot.core.commands import Command
from bot.core.gateway_types import GatewayApp, Notify, Submitted
from bot.core.home import HomeSources, HomeView, InGroup, build_home
from bot.core.outcome import request_id_for
from bot.core.receipt_start import PostRoot, start_receipts
from bot.errors import MiruError, StoreUnavailable
from bot.models import IncomingMessage, Reply, ReplyKind, Status
from bot.ports import Platform

if TYPE_CHECKING:
    from bot.core.quota import Admission
    from bot.review.desk import ReviewDesk

log = structlog.get_logger(__name__)

__all__ = ["DENIED", "MAX_INFLIGHT", "REFUSED", "UNAVAILABLE", "Gateway", "GatewayApp",
           "Notify", "Submitted"]

MAX_INFLIGHT = 32
UNAVAILABLE = "unavailable"
REFUSED = "refused"  # over a quota: the user was told when it resets
DENIED = "denied"  # no permission here (team permissions): the user was told, privately
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
        (``/miru admin`` needs it, ``/miru help`` lists ``admin`` for admins). A ``MiruError``
        becomes its sentence; anything else propagates (``bot.core.command_runner``)."""
        return await CommandRunner(self).run(cmd, user, caller)

    async def start_receipts(self, message: IncomingMessage, member: Member = NO_MEMBER, *,
                             post_root: PostRoot, notify: Notify | None = None) -> str:
        """``/miru receipts``: see ``bot.core.receipt_start``."""
        return await start_receipts(self, message, member, post_root=post_root, notify=notify)

    async def home(self, workspace: str, user: str, *, member: Member = NO_MEMBER,
                   in_group: InGroup | None = None) -> HomeView:
        """The caller's home view (``bot.core.home``); ``in_group``: the platform's user-group
        membership (Slack moderators listed by group)."""
        app = self.app
        return await build_home(HomeSources(
            app.account, app.policy, self.access, app.clock, redis=app.redis,
            health=app.health, desk=self.review), self.name, workspace, user, member=member,
            in_group=in_group)
