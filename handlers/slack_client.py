"""The Slack side of ``bot.ports.Conversation``: fetch files, react, post, update, ask for consent.

``SlackPlatform`` is what a worker answers on; it hands out one ``SlackConversation`` per request.
Web API calls go through slack_sdk's ``AsyncWebClient`` (its base URL is ``MIRU_SLACK_API_URL``),
with slack_sdk's own retry handlers: a 429 waits ``Retry-After`` and tries again, a 500/503 or a
dropped connection is tried once more. What still fails while posting a reply is raised as
``DeliveryFailed`` (retryable or not, see ``delivery_failed``). Long answers go out in parts
(``bot.core.chunking``). Files come through the core fetcher (``bot.core.fetch``) configured with
Slack's file hosts (or the configured API host, for stand-ins) and the bot token; a file shared
from another organisation (Slack Connect) has no URL in the event and gets one from
``files.info``. The working message is edited through ``bot.core.progress``. Tokens never reach a
log.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.chunking import split_text
from bot.core.fetch import Fetcher, FetchPolicy, new_client, url_allowed
from bot.core.progress import ThrottledEdits
from bot.core.replylang import reply_language
from bot.errors import DeliveryFailed, FetchError, MissingScope
from bot.models import ImageRef, IncomingMessage, Reply, Status
from bot.ports import PlatformInfo
from bot.review.model import Case
from bot.review.reveals import RevealPost
from bot.review.store import Card
from config.settings import Settings
from handlers.slack_actions import action_blocks
from handlers.slack_blocks import consent_blocks
from handlers.slack_review import post_card, tell_uploader, update_card, withdraw_reveal

log = structlog.get_logger(__name__)

REACTIONS: dict[Status, str] = {
    Status.RECEIVED: "eyes",
    Status.ANSWERED: "white_check_mark",
    Status.BLOCKED: "no_entry",
    Status.HELD: "shield",
    Status.FAILED: "warning",
}
RATE_LIMIT_RETRIES = 10
# Slack takes 40,000 characters of text per message but renders long ones poorly (and folds them
# behind "show more"): answers go out in parts of at most this many characters.
PART_CHARS = 3500
RETRYABLE_ERRORS = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
    "request_timeout",
})
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


def make_web_client(settings: Settings) -> AsyncWebClient:
    """An ``AsyncWebClient`` on ``settings.slack_api_url`` that waits out 429s and retries."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else (
        settings.slack_api_url + "/"
    )
    client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=1))
    return client


def api_error(exc: SlackApiError) -> str:
    """The Web API's error code (``msg_too_long`` …), or ``HTTP <status>`` for a non-JSON body."""
    data = exc.response.data
    error = data.get("error") if isinstance(data, dict) else None
    return str(error or f"HTTP {exc.response.status_code}")


def delivery_failed(exc: Exception) -> DeliveryFailed:
    """A failed post as ``DeliveryFailed``, after slack_sdk's own retries gave up. Retryable: rate
    limits, 5xx, timeouts and network errors. Not retryable: everything Slack refuses for good
    (``msg_too_long``, ``channel_not_found``, ``not_in_channel``, ``is_archived``,
    ``missing_scope``, ``invalid_auth``, …)."""
    if isinstance(exc, SlackApiError):
        error, status = api_error(exc), exc.response.status_code
        return DeliveryFailed(error, retryable=error in RETRYABLE_ERRORS or status in (429,)
                              or status >= 500)
    return DeliveryFailed(type(exc).__name__, retryable=True)


def is_allowed_file_url(url: str, settings: Settings) -> bool:
    """Only https on Slack's file hosts, or the very host (and port) of the configured API."""
    return url_allowed(url, settings.slack_file_hosts, settings.slack_api_url)


def _missing_scope(name: str) -> FetchError:
    return MissingScope("HTML instead of the file: files:read is missing", name=name)


def fetch_policy(settings: Settings) -> FetchPolicy:
    """Slack's files: its file hosts (or the stand-in's API host), with the bot token."""
    token = settings.slack_bot_token.get_secret_value()
    return FetchPolicy(hosts=settings.slack_file_hosts, api_url=settings.slack_api_url,
                       headers={"Authorization": f"Bearer {token}"}, on_html=_missing_scope)


def escape(text: str) -> str:
    """Slack's control characters, escaped: text read from an image or written by a model must not
    become a mention (``<!channel>``, ``<@U…>``) or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_link(msg: IncomingMessage) -> str:
    """A link to a Slack message (the permalink form the client opens)."""
    return f"https://slack.com/archives/{msg.channel}/p{msg.message_id.replace('.', '')}"


# Slack does not let a bot delete another user's file: a rejected upload's owner is asked to.
SLACK_INFO = PlatformInfo("slack", "Slack", message_link, deletes_uploads=False, home_tab=True)


class SlackPlatform:
    """``bot.ports.Platform`` for Slack. Owns one HTTP client for file downloads."""

    name = "slack"
    info = SLACK_INFO

    def __init__(
        self,
        client: AsyncWebClient,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.settings = settings
        self.fetcher = Fetcher(fetch_policy(settings), http or new_client())
        self.clock = clock

    def conversation(self, message: IncomingMessage) -> SlackConversation:
        return SlackConversation(self, message)

    # bot.review.desk.CardPoster: review cards (handlers/slack_review.py)
    async def post_review_card(self, channel: str, case: Case, previews: list[bytes]) -> str:
        return await post_card(self, channel, case, previews)

    async def update_review_card(self, card: Card, case: Case) -> None:
        await update_card(self, card, case)

    async def tell_uploader(self, case: Case, text: str, *, delete: bool = False) -> None:
        await tell_uploader(self, case, text)  # bots cannot delete others' files on Slack

    # bot.review.cards.RevealWithdrawer: a decided or purged case's Reveal copies
    async def withdraw_reveal(self, post: RevealPost) -> None:
        await withdraw_reveal(self, post)

    async def close(self) -> None:
        await self.fetcher.close()


class SlackConversation:
    """One request's link back to Slack (``bot.ports.Conversation``)."""

    def __init__(self, platform: SlackPlatform, message: IncomingMessage) -> None:
        self.platform = platform
        self.message = message
        self._working = ThrottledEdits(self._post_working, self._edit_working,
                                       clock=platform.clock, name="slack")
        self._parts_sent: dict[tuple[str, str, str], int] = {}  # reply -> parts already posted

    @property
    def _client(self) -> AsyncWebClient:
        return self.platform.client

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        """Download ``ref.url`` with the bot token; raises a ``FetchError`` or ``InputRejected``."""
        return await self.platform.fetcher.fetch(await self._resolve(ref), max_bytes)

    async def _resolve(self, ref: ImageRef) -> ImageRef:
        """A file shared from another organisation (Slack Connect) comes without a URL
        (``file_access: "check_file_info"``); ``files.info`` gives its URL, name, type and size."""
        if ref.url or not ref.file_id:
            return ref
        name = ref.name or ref.file_id
        try:
            resp = await self._client.files_info(file=ref.file_id)
        except SlackApiError as exc:
            error = api_error(exc)
            if error == "missing_scope":
                raise MissingScope("files.info: files:read is missing", name=name) from None
            raise FetchError(f"files.info: {error}", name=name) from None
        except NETWORK_ERRORS as exc:
            raise FetchError(f"files.info: {type(exc).__name__}", name=name) from None
        info = resp.get("file") or {}
        url = info.get("url_private_download") or info.get("url_private") or ""
        if not url:
            raise FetchError("files.info gave no URL", name=name)
        return dataclasses.replace(
            ref, url=url, name=ref.name if ref.name != ref.file_id else info.get("name") or name,
            mimetype=ref.mimetype or info.get("mimetype") or "",
            size=ref.size if ref.size is not None else info.get("size"),
        )

    async def status(self, status: Status) -> None:
        """Add the status's reaction to the user's message; a final one (✅ ⛔ 🛡️ ⚠) takes the
        👀 away, since Miru no longer looks at it. Never raises."""
        await self._react(self._client.reactions_add, status, "already_reacted")
        if status is not Status.RECEIVED:
            await self._react(self._client.reactions_remove, Status.RECEIVED, "no_reaction")

    async def _react(self, method: Callable[..., Awaitable[Any]], status: Status,
                     harmless: str) -> None:
        try:
            await method(channel=self.message.channel, timestamp=self.message.message_id,
                         name=REACTIONS[status])
        except SlackApiError as exc:
            if exc.response.get("error") != harmless:
                log.warning("slack.reaction_failed", error=exc.response.get("error"))
        except Exception as exc:  # best effort by contract: progress must not fail a request
            log.warning("slack.reaction_failed", error=type(exc).__name__)

    async def partial(self, text: str) -> None:
        """Post a working message, then edit it in place at most once a second; never raises.
        A long answer previews its first part (the part ``reply`` puts there)."""
        await self._working.update(text)

    async def _post_working(self, text: str) -> str:
        resp = await self._client.chat_postMessage(
            channel=self.message.channel, thread_ts=self.message.thread, text=self._preview(text))
        return str(resp["ts"])

    async def _edit_working(self, ts: str, text: str) -> None:
        await self._client.chat_update(channel=self.message.channel, ts=ts,
                                       text=self._preview(text))

    @staticmethod
    def _preview(text: str) -> str:
        escaped = escape(text)
        return escaped if len(escaped) <= PART_CHARS else split_text(escaped, PART_CHARS)[0]

    async def reply(self, reply: Reply) -> None:
        """Post the reply in the thread: the working message becomes the answer (or its first
        part), further parts follow in order; a consent prompt goes only to
        ``reply.ephemeral_to``; attachments are uploaded after.

        Raises ``DeliveryFailed`` when Slack does not take it. Parts already posted are
        remembered, so calling ``reply`` again with the same reply posts only what is missing
        (another reply, e.g. the error notice for the same request, is posted in full).
        """
        channel, thread = self.message.channel, reply.thread.thread or self.message.thread
        if reply.ephemeral_to:
            lang = reply_language(self.message.language, reply.text)
            await self._deliver(
                self._client.chat_postEphemeral, channel=channel, user=reply.ephemeral_to,
                thread_ts=thread, text=reply.text,
                blocks=consent_blocks(reply.text, reply.request_id, lang),
            )
            return
        parts = split_text(escape(reply.text), PART_CHARS)
        key = (reply.request_id, reply.kind.value, reply.text)
        for index in range(self._parts_sent.get(key, 0), len(parts)):
            # the reply's buttons (receipt cards) go under its last part
            extra = ({"blocks": action_blocks(parts[index], reply.actions)}
                     if reply.actions and index == len(parts) - 1 else {})
            if index == 0 and self._working.message_id is not None:
                await self._replace_working(channel, thread, parts[0], **extra)
            else:
                await self._deliver(self._client.chat_postMessage, channel=channel,
                                    thread_ts=thread, text=parts[index], **extra)
            self._parts_sent[key] = index + 1
        if reply.attachments and self._parts_sent.get(key) == len(parts):
            uploads = [{"file": a.data, "filename": a.filename} for a in reply.attachments]
            await self._deliver(
                self._client.files_upload_v2, file_uploads=uploads, channel=channel,
                thread_ts=thread, request_file_info=False,
            )
            self._parts_sent[key] = len(parts) + 1

    async def _replace_working(self, channel: str, thread: str, text: str,
                               **extra: Any) -> None:
        """The working message becomes ``text`` (with ``extra``: blocks); if someone deleted
        it, post anew."""
        try:
            await self._deliver(self._client.chat_update, channel=channel,
                                ts=self._working.message_id, text=text, **extra)
        except DeliveryFailed as exc:
            if exc.retryable or exc.detail not in GONE_ERRORS:
                raise
            await self._deliver(self._client.chat_postMessage, channel=channel,
                                thread_ts=thread, text=text, **extra)

    @staticmethod
    async def _deliver(method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except (SlackApiError, *NETWORK_ERRORS) as exc:
            failure = delivery_failed(exc)
            log.warning("slack.delivery_failed", error=failure.detail,
                        retryable=failure.retryable)
            raise failure from None
