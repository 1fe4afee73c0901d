"""Slack adapter: a slack-bolt ``AsyncApp`` whose listeners only translate and enqueue.

Events (``app_mention``, ``message.im``, thread follow-ups), the ``/miru`` slash command and the
consent buttons arrive here, over Socket Mode or HTTP (``handlers.slack_run``). Bolt checks the
request signature (a bad one gets 401 before any listener runs) and acknowledges events at once;
listeners then turn the raw event into an ``IncomingMessage`` and hand it to ``App.submit``. The
pipeline never runs on the request path: workers answer through ``handlers.slack_client``.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt.async_app import AsyncApp

from bot import strings
from bot.errors import MiruError
from bot.models import (
    AuditRecord,
    ImageRef,
    IncomingMessage,
    PlatformName,
    Reply,
    ReplyKind,
    Status,
)
from handlers.slack_client import CONSENT_CANCEL_ACTION, CONSENT_CONFIRM_ACTION, SlackPlatform

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

PLATFORM: PlatformName = "slack"
ACCEPTED_SUBTYPES = (None, "file_share")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def translate_event(
    event: dict[str, Any], *, team_id: str, bot_user_id: str
) -> IncomingMessage | None:
    """A Slack ``app_mention`` or ``message`` event as an ``IncomingMessage``; None to ignore it.

    Ignored: bot messages (Miru's own included), edits, deletions and any subtype other than
    ``file_share``; channel messages that are neither in a thread nor a DM (those need a mention,
    which arrives as ``app_mention``); channel messages that mention Miru (the twin
    ``app_mention`` event answers them). The event id is the message's own id (team, channel, ts),
    so Slack's retries and the ``app_mention``/``message`` twins of one message dedupe together.

    ``team_id`` is the workspace that received the event (Bolt's ``context.team_id``), not the
    poster's ``event["team"]``: in a Slack Connect channel a user from another organisation
    carries their own team, and their follow-up must land in the same thread as everyone else's.
    """
    kind = event.get("type")
    if kind not in ("app_mention", "message") or event.get("subtype") not in ACCEPTED_SUBTYPES:
        return None
    user = event.get("user") or ""
    if not user or event.get("bot_id") or event.get("bot_profile") or user == bot_user_id:
        return None
    channel, ts = event.get("channel") or "", event.get("ts") or ""
    if not channel or not ts:
        return None
    raw_text = event.get("text") or ""
    is_dm = event.get("channel_type") == "im" or channel.startswith("D")
    if kind == "message" and not is_dm:
        in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != ts
        if not in_thread or (bot_user_id and f"<@{bot_user_id}" in raw_text):
            return None
    workspace = team_id or event.get("team") or ""
    return IncomingMessage(
        platform=PLATFORM,
        workspace=workspace,
        channel=channel,
        thread=event.get("thread_ts") or ts,
        message_id=ts,
        user=user,
        text=_strip_mentions(raw_text, bot_user_id),
        images=tuple(_file_ref(f) for f in event.get("files") or () if f.get("id")),
        event_id=f"{workspace}:{channel}:{ts}",
        is_dm=is_dm,
    )


def needs_active_thread(event: dict[str, Any], message: IncomingMessage) -> bool:
    """A channel message without a mention counts only in a thread Miru already answered in."""
    return event.get("type") == "message" and not message.is_dm


def _strip_mentions(text: str, bot_user_id: str) -> str:
    cleaned = _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(cleaned.split())


def poster_team(event: dict[str, Any], team_id: str) -> str:
    """The poster's own workspace (another organisation's, for a Slack Connect user)."""
    return event.get("user_team") or event.get("team") or team_id


def team_allowed(event: dict[str, Any], team_id: str, allowed: tuple[str, ...]) -> bool:
    """With an allow-list (``MIRU_SLACK_ALLOWED_TEAMS``), both the receiving workspace and the
    poster's must be on it; an empty list allows every team."""
    return not allowed or (team_id in allowed and poster_team(event, team_id) in allowed)


def _file_ref(f: dict[str, Any]) -> ImageRef:
    """A Slack file object; one shared from another organisation has ``file_access:
    "check_file_info"`` and no usable URL: the fetcher asks ``files.info`` for it."""
    hidden = f.get("file_access") == "check_file_info"
    return ImageRef(
        name=f.get("name") or f.get("title") or f["id"],
        url="" if hidden else f.get("url_private_download") or f.get("url_private") or "",
        mimetype=f.get("mimetype") or "",
        size=f.get("size"),
        file_id=f["id"],
    )


class SlackGateway:
    """What the listeners call: enqueue messages, run commands, take consent answers.

    At most ``max_inflight`` submissions talk to Redis at once: a burst of events (Slack sends
    them concurrently) then queues here, in memory and after the HTTP 200, instead of exhausting
    the Redis connection pool and telling people Miru is down.
    """

    def __init__(self, app: App, platform: SlackPlatform, *, max_inflight: int = 32) -> None:
        self.app = app
        self.platform = platform
        self._inflight = asyncio.Semaphore(max_inflight)

    async def on_event(self, event: dict[str, Any], team_id: str, bot_user_id: str) -> None:
        message = translate_event(event, team_id=team_id, bot_user_id=bot_user_id)
        if message is None:
            return
        if not team_allowed(event, team_id, self.platform.settings.slack_allowed_teams):
            log.info("slack.team_not_allowed", workspace=team_id,
                     team=poster_team(event, team_id), channel=message.channel)
            return
        if needs_active_thread(event, message):
            try:
                if not await self.app.state.is_active(message.thread_key):
                    return
            except Exception as exc:  # cannot tell whether Miru is in this thread: stay quiet
                log.warning("slack.active_check_failed", error=type(exc).__name__)
                return
        await self.submit(message)

    async def submit(self, message: IncomingMessage) -> str:
        """Enqueue; when the queue is down, tell the user in the thread and audit it."""
        async with self._inflight:
            result = await self.app.submit(message)
        if result.status == "unavailable":
            await self._unavailable(message)
        return result.status

    async def _unavailable(self, message: IncomingMessage) -> None:
        from bot.core.pipeline import request_id_for

        request_id = request_id_for(message)
        try:
            await self.app.audit.write(AuditRecord(
                kind="unavailable", request_id=request_id, ts=time.time(),
                actor=self.app.audit.pseudonym(message.platform, message.user),
                platform=message.platform, channel=message.channel, thread=message.thread,
                detail={"code": "store_unavailable"},
            ))
        except Exception as exc:
            log.error("slack.audit_failed", error=type(exc).__name__)
        lang = await self.language(message.user, message.text)
        conversation = self.platform.conversation(message)
        try:
            await conversation.reply(Reply(ReplyKind.ERROR, strings.t("store.unavailable", lang),
                                           message.thread_key, request_id))
        except Exception as exc:
            log.error("slack.reply_failed", error=type(exc).__name__)
        await conversation.status(Status.FAILED)

    async def language(self, user: str, text: str = "") -> str:
        return await self.app.pipeline.language_for(PLATFORM, user, text)

    async def command(self, text: str, user: str) -> str:
        """``/miru help | forget | lang ja|en``: the sentence to show the caller."""
        words = text.split()
        verb = words[0].lower() if words else "help"
        lang = await self.language(user, text)
        try:
            if verb == "help":
                return strings.t("cmd.help", lang)
            if verb == "forget":
                count = await self.app.pipeline.forget_user(PLATFORM, user)
                return strings.t("cmd.forgot", lang, count=count)
            if verb == "lang":
                choice = words[1].lower() if len(words) > 1 else ""
                if choice not in strings.LANGS:
                    return strings.t("cmd.lang_usage", lang)
                await self.app.pipeline.set_language(PLATFORM, user, choice)
                return strings.t("cmd.lang_set", choice)
        except MiruError as exc:
            log.warning("slack.command_failed", verb=verb, code=exc.code)
            return exc.user_message(lang)
        except Exception as exc:
            log.error("slack.command_failed", verb=verb, error=type(exc).__name__)
            return strings.t("error.generic", lang)
        return strings.t("cmd.unknown", lang)

    async def consent(self, request_id: str, user: str, *, confirmed: bool) -> str | None:
        """The uploader pressed a consent button. Returns the sentence replacing the prompt, or
        None when the prompt should just disappear (confirmed: the answer follows in the thread)."""
        lang = await self.language(user)
        try:
            message = await self.app.pipeline.confirm_consent(request_id, user,
                                                              confirmed=confirmed)
        except MiruError as exc:
            return exc.user_message(lang)
        if not confirmed:
            return strings.t("verdict.consent_cancelled", lang)
        if message is None:
            return strings.t("verdict.consent_expired", lang)
        status = await self.submit(message)
        return None if status != "unavailable" else strings.t("store.unavailable", lang)


def build_bolt_app(app: App, platform: SlackPlatform) -> AsyncApp:
    """The Bolt app (same for Socket Mode and HTTP) on ``platform.client``'s API base URL."""
    settings = platform.settings
    bolt = AsyncApp(
        client=platform.client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        name="miru",
    )
    gateway = SlackGateway(app, platform)

    async def on_event(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        team = context.team_id or body.get("team_id") or ""
        await gateway.on_event(event, team, context.bot_user_id or "")

    bolt.event("app_mention")(on_event)
    bolt.event("message")(on_event)

    @bolt.command("/miru")
    async def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        # Slack waits 3 s for the acknowledgement; the answer needs Redis (language, forget) and
        # the audit log, so it follows through the response_url, seen only by the caller.
        await ack()
        text = await gateway.command(command.get("text") or "", command["user_id"])
        try:
            await respond(text=text, response_type="ephemeral")
        except Exception as exc:
            log.warning("slack.respond_failed", error=type(exc).__name__)

    async def on_consent(ack: Any, body: dict[str, Any], respond: Any, *, confirmed: bool) -> None:
        await ack()
        action = body["actions"][0]
        text = await gateway.consent(action.get("value") or "", body["user"]["id"],
                                     confirmed=confirmed)
        if not body.get("response_url"):
            return
        if text is None:
            await respond(delete_original=True)
        else:
            await respond(text=text, replace_original=True)

    @bolt.action(CONSENT_CONFIRM_ACTION)
    async def on_confirm(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await on_consent(ack, body, respond, confirmed=True)

    @bolt.action(CONSENT_CANCEL_ACTION)
    async def on_cancel(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await on_consent(ack, body, respond, confirmed=False)

    return bolt
