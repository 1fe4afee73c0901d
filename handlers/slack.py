"""Slack adapter: a slack-bolt ``AsyncApp`` whose listeners only translate and enqueue.

Events (``app_mention``, ``message.im``, thread follow-ups, ``app_home_opened``), the ``/miru``
slash command, the consent, review and receipt-card buttons (``handlers.slack_actions``) and the
Home tab's menus (``handlers.slack_home``) arrive here, over Socket Mode or HTTP
(``handlers.slack_run``). Bolt checks the request signature (a bad one gets 401 before any
listener runs) and acknowledges events at once; listeners then turn the raw event into an
``IncomingMessage`` (or the ``/miru`` text and button presses into ``bot.core.commands`` values)
and hand it to the core gateway (``bot.core.gateway``), which enqueues. The pipeline never runs
on the request path: workers answer through ``handlers.slack_client``. One Bolt error hook
(``error_hook``) handles what a listener raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp

from bot import strings
from bot.core.admin import Caller
from bot.core.commands import AnswerConsent, Receipts, parse_command
from bot.core.gateway import Gateway
from bot.models import ImageRef, IncomingMessage, PlatformName
from handlers import slack_home
from handlers.slack_access import SlackDirectory, ephemeral_notice
from handlers.slack_actions import ACTION_RE, REASON_VIEW, on_action, on_reason
from handlers.slack_blocks import CONSENT_CANCEL_ACTION, CONSENT_CONFIRM_ACTION
from handlers.slack_client import SlackPlatform
from handlers.slack_review import ACTION_RE as REVIEW_RE
from handlers.slack_review import on_review_action
from handlers.slack_tenancy import TENANT, member_for, tenant_in, tenant_of

if TYPE_CHECKING:
    from bot.runtime import App

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
        user_name=_shown_name(event),
    )


def _shown_name(event: dict[str, Any]) -> str:
    """The author's name as Slack shows it, where the event carries ``user_profile`` (display
    name, else real name); "" otherwise."""
    profile = event.get("user_profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or "")[:80]


def needs_active_thread(event: dict[str, Any], message: IncomingMessage) -> bool:
    """A channel message without a mention counts only in a thread Miru already answered in."""
    return event.get("type") == "message" and not message.is_dm


def _strip_mentions(text: str, bot_user_id: str) -> str:
    cleaned = _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(cleaned.split())


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


def build_bolt_app(app: App, platform: SlackPlatform) -> AsyncApp:
    """The Bolt app (same for Socket Mode and HTTP) on ``platform.client``'s API base URL."""
    settings = platform.settings
    bolt = AsyncApp(
        client=platform.client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        name="miru",
    )
    # The allow-list is checked for every request in one middleware (``handlers.slack_tenancy``:
    # it needs the actor's team, which only the raw payload carries), so the core gateway's
    # ``allow`` hook stays unset. Team permissions: group membership and admin status from the
    # Web API (unless the app was given a directory for Slack); refusals are ephemeral.
    directory = app.directories.get(PLATFORM) or SlackDirectory(platform.client)
    gateway = app.gateway(platform, directory=directory,
                          notify=ephemeral_notice(platform.client))
    desk = gateway.review

    @bolt.middleware
    async def tenants(body: dict[str, Any], context: Any, next: Any) -> Any:
        """Every request: who it comes from (``context["miru_tenant"]``), dropped unless the
        allow-list has both the workspace and the actor's team."""
        tenant = tenant_of(body, context)
        if tenant.allowed(settings.slack_allowed_teams):
            context[TENANT] = tenant
            return await next()
        log.info("slack.team_not_allowed", workspace=tenant.workspace, team=tenant.actor_team,
                 enterprise=tenant.actor_enterprise,
                 kind=body.get("type") or ("command" if body.get("command") else ""))
        if context.get("response_url"):  # told after the acknowledgement (Slack waits 3 s)
            task = asyncio.create_task(refuse_team(body, context.respond))
            telling.add(task)
            task.add_done_callback(telling.discard)
        return BoltResponse(status=200, body="")  # acknowledged, and no listener runs

    telling: set[asyncio.Task[None]] = set()

    async def refuse_team(body: dict[str, Any], respond: Any) -> None:
        user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
        with contextlib.suppress(Exception):  # told or not, nothing ran
            await respond(text=strings.t("slack.team_not_allowed",
                                         await gateway.language(user) if user else "en"),
                          response_type="ephemeral", replace_original=False)

    async def on_event(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        team = context.team_id or body.get("team_id") or ""
        message = translate_event(event, team_id=team, bot_user_id=context.bot_user_id or "")
        if message is None:
            return
        await gateway.on_message(message, follow_up=needs_active_thread(event, message))

    bolt.event("app_mention")(on_event)
    bolt.event("message")(on_event)

    @bolt.command("/miru")
    async def on_command(ack: Any, command: dict[str, Any], respond: Any, context: Any) -> None:
        # Slack waits 3 s for the acknowledgement; the answer needs Redis (language, forget) and
        # the audit log, so it follows through the response_url, seen only by the caller.
        await ack()
        channel = command.get("channel_id") or ""
        caller = Caller(PLATFORM, command.get("team_id") or "", channel, command["user_id"],
                        member_for(context))
        cmd = parse_command(command.get("text") or "", channel=channel)
        if isinstance(cmd, Receipts):
            text = await start_receipts(command, respond)
        else:
            text = await gateway.run_command(cmd, command["user_id"], caller=caller)
        if text:
            await respond(text=text, response_type="ephemeral")

    async def start_receipts(command: dict[str, Any], respond: Any) -> str:
        """``/miru receipts``: the thread hangs from a message Miru posts in the channel."""
        channel, team = command.get("channel_id") or "", command.get("team_id") or ""

        async def post_root(text: str) -> tuple[str, str]:
            posted = await platform.client.chat_postMessage(channel=channel, text=text)
            return str(posted["ts"]), str(posted["ts"])

        async def tell(_message: IncomingMessage, text: str) -> None:
            await respond(text=text, response_type="ephemeral")

        return await gateway.start_receipts(IncomingMessage(
            platform=PLATFORM, workspace=team, channel=channel, thread="", message_id="",
            user=command["user_id"], text="receipts", is_dm=channel.startswith("D"),
            event_id=f"{team}:{channel}:slash:{command.get('trigger_id') or ''}"),
            post_root=post_root, notify=tell)

    async def on_consent(ack: Any, body: dict[str, Any], respond: Any, *, confirmed: bool) -> None:
        await ack()
        action = body["actions"][0]
        text = await gateway.run_command(
            AnswerConsent(action.get("value") or "", confirmed), body["user"]["id"])
        if not body.get("response_url"):
            return
        if not text:
            await respond(delete_original=True)
        else:
            await respond(text=text, replace_original=True)

    @bolt.action(CONSENT_CONFIRM_ACTION)
    async def on_confirm(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await on_consent(ack, body, respond, confirmed=True)

    @bolt.action(CONSENT_CANCEL_ACTION)
    async def on_cancel(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await on_consent(ack, body, respond, confirmed=False)

    @bolt.action(REVIEW_RE)
    async def on_review(ack: Any, body: dict[str, Any], respond: Any, context: Any) -> None:
        await ack()
        user = (body.get("user") or {}).get("id") or ""
        lang = await gateway.language(user) if user else "en"
        if desk is None:
            await respond(text=strings.t("store.unavailable", lang), response_type="ephemeral",
                          replace_original=False)
            return
        await on_review_action(desk, platform, body, respond, lang,
                               workspace=tenant_in(context).actor_workspace)

    @bolt.action(ACTION_RE)
    async def on_act(ack: Any, body: dict[str, Any], respond: Any, context: Any) -> None:
        await ack()  # within Slack's 3 s; a reason modal follows with the press's trigger_id
        await on_action(gateway, platform.client, body, respond, team=context.team_id or "",
                        member=member_for(context))

    @bolt.view(REASON_VIEW)
    async def on_reason_view(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await on_reason(gateway, ephemeral_notice(platform.client), body,
                        member=member_for(context))

    slack_home.register(bolt, gateway)
    bolt.error(error_hook(app, gateway))
    return bolt


def error_hook(app: App, gateway: Gateway) -> Callable[..., Awaitable[None]]:
    """Bolt's one error handler (``app.error``) for every listener: log the failure, audit it
    when a request is known (a consent button carries its request id), and answer the caller
    with a friendly sentence where Slack gave a way to (a ``response_url``: commands, buttons).
    Never raises: the event was acknowledged long before."""

    async def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> None:
        kind = body.get("type") or ("command" if body.get("command") else "")
        user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
        log.error("slack.listener_failed", kind=kind, error=type(error).__name__,
                  exc_info=error)
        actions = body.get("actions") or ()
        request_id = (actions[0].get("value") or "") if actions else ""
        if request_id:
            audit = app.audit
            with contextlib.suppress(Exception):  # the log line above already stands
                await audit.write(audit.record(
                    "error", request_id, platform=PLATFORM, user=user,
                    detail={"code": f"internal:{type(error).__name__}"}))
        if respond is None or not body.get("response_url"):
            return
        try:
            lang = await gateway.language(user) if user else None
            await respond(text=strings.t("error.generic", lang), response_type="ephemeral")
        except Exception as exc:  # the caller cannot be reached; the failure is logged above
            log.warning("slack.respond_failed", error=type(exc).__name__)

    return on_error
