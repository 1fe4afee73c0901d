"""The Discord side of ``bot.ports.Conversation``: fetch attachments, react, post in a thread,
stream the answer into its message, ask for consent with buttons.

``DiscordPlatform`` is what a worker answers on; it needs only REST (a logged-in
``discord.Client``, no gateway connection), so ``miru worker`` answers Discord without a gateway.
REST goes through discord.py, which already waits out 429s and retries 5xx; what still fails while
posting a reply is raised as ``DeliveryFailed``: retryable for 429/5xx/network, not for 403
(missing permission), 404 (gone) or 50035 (invalid form). Attachments come through the core
fetcher restricted to Discord's CDN hosts (or the host of ``MIRU_DISCORD_API_URL``, for the
stand-in); an expired signed link is refreshed by fetching the message again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
import discord
import structlog
import yarl

from bot import strings
from bot.core.chunking import split_text
from bot.core.fetch import Fetcher, FetchPolicy, new_client
from bot.core.progress import ThrottledEdits
from bot.core.replylang import reply_language
from bot.errors import DeliveryFailed, FetchError
from bot.models import ImageRef, IncomingMessage, Reply, ReplyAction, Status
from bot.ports import PlatformInfo
from bot.review.model import Case
from bot.review.reveals import RevealPost
from bot.review.store import Card
from config.settings import Settings
from handlers.discord_review import post_card, tell_uploader, update_card, withdraw_reveal

log = structlog.get_logger(__name__)

REACTIONS: dict[Status, str] = {
    Status.RECEIVED: "\N{EYES}",
    Status.ANSWERED: "\N{WHITE HEAVY CHECK MARK}",
    Status.BLOCKED: "\N{NO ENTRY}",
    Status.HELD: "\N{SHIELD}",
    Status.FAILED: "\N{WARNING SIGN}",
}
PART_CHARS = 2000  # Discord's limit per message
THREAD_NAME_CHARS = 100
UNKNOWN_MESSAGE = 10008  # Discord's JSON error code for a message that is gone
CONSENT_PREFIX = "miru:consent:"  # custom_id: miru:consent:<yes|no>:<uploader>:<request id>
ACTION_PREFIX = "miru:act:"  # custom_id of a reply's button: miru:act:<bot.core.actions value>
T = TypeVar("T")


def configure_api(settings: Settings) -> None:
    """Point discord.py's REST base at ``MIRU_DISCORD_API_URL``, and its first gateway
    connection at ``MIRU_DISCORD_GATEWAY_URL`` where that is set (class attributes: per
    process). After READY discord.py resumes at the ``resume_gateway_url`` READY names."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def fetch_policy(settings: Settings) -> FetchPolicy:
    api = settings.discord_api_url
    default = api.startswith("https://discord.com/")
    return FetchPolicy(hosts=settings.discord_file_hosts, api_url="" if default else api)


def delivery_failed(exc: Exception) -> DeliveryFailed:
    """429/5xx/network: retryable; 403, 404, 50035 and other 4xx: not."""
    if isinstance(exc, discord.HTTPException):
        retryable = exc.status == 429 or exc.status >= 500
        return DeliveryFailed(f"http {exc.status} code {exc.code}", retryable=retryable)
    return DeliveryFailed(type(exc).__name__, retryable=True)


def consent_view(request_id: str, uploader: str, lang: str) -> discord.ui.View:
    """Two buttons; ``handlers.discord_bot`` answers presses (only the uploader's count)."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        style=discord.ButtonStyle.primary, label=strings.t("verdict.consent_confirm", lang),
        custom_id=f"{CONSENT_PREFIX}yes:{uploader}:{request_id}"))
    view.add_item(discord.ui.Button(
        style=discord.ButtonStyle.danger, label=strings.t("verdict.consent_cancel", lang),
        custom_id=f"{CONSENT_PREFIX}no:{uploader}:{request_id}"))
    return view


def actions_view(actions: Sequence[ReplyAction]) -> discord.ui.View:
    """A reply's buttons (``custom_id`` ``miru:act:<value>``); ``handlers.discord_actions``
    answers presses."""
    view = discord.ui.View(timeout=None)
    styles = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}
    for action in actions[:25]:
        view.add_item(discord.ui.Button(
            style=styles.get(action.style, discord.ButtonStyle.secondary),
            label=action.label[:80], custom_id=f"{ACTION_PREFIX}{action.value}"))
    return view


def message_link(msg: IncomingMessage) -> str:
    """A link to a Discord message (guild, channel, message)."""
    return f"https://discord.com/channels/{msg.workspace}/{msg.channel}/{msg.message_id}"


DISCORD_INFO = PlatformInfo("discord", "Discord", message_link, deletes_uploads=True,
                            ask_command=True)


class DiscordPlatform:
    """``bot.ports.Platform`` for Discord over ``client``'s REST session."""

    name = "discord"
    info = DISCORD_INFO

    def __init__(self, client: discord.Client, settings: Settings, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.settings = settings
        self.fetcher = Fetcher(fetch_policy(settings), new_client())
        self.clock = clock
        self._login_lock = asyncio.Lock()

    async def login(self) -> None:
        """Log in for REST (a worker may answer without a gateway); once."""
        async with self._login_lock:
            if self.client.user is None:
                await self.client.login(self.settings.discord_token.get_secret_value())

    def conversation(self, message: IncomingMessage) -> DiscordConversation:
        return DiscordConversation(self, message)

    # bot.review.desk.CardPoster: review cards (handlers/discord_review.py)
    async def post_review_card(self, channel: str, case: Case, previews: list[bytes]) -> str:
        return await post_card(self, channel, case, previews)

    async def update_review_card(self, card: Card, case: Case) -> None:
        await update_card(self, card, case)

    async def tell_uploader(self, case: Case, text: str, *, delete: bool = False) -> None:
        await tell_uploader(self, case, text, delete=delete)

    # bot.review.cards.RevealWithdrawer: a decided or purged case's Reveal copies
    async def withdraw_reveal(self, post: RevealPost) -> None:
        await withdraw_reveal(self, post)

    async def close(self) -> None:
        await self.fetcher.close()
        if not self.client.is_closed():
            await self.client.close()


def posted_in(message: IncomingMessage) -> int:
    """The channel the user's message is in: its thread, else the channel (or the DM)."""
    inside = message.thread not in (message.message_id, message.channel)
    return int(message.thread if inside else message.channel)


class DiscordConversation:
    """One request's link back to Discord (``bot.ports.Conversation``)."""

    def __init__(self, platform: DiscordPlatform, message: IncomingMessage) -> None:
        self.platform = platform
        self.message = message
        self._target: int | None = None  # where replies go, once known
        self._working = ThrottledEdits(self._post_working, self._edit_working,
                                       clock=platform.clock, name="discord")
        self._parts_sent: dict[tuple[str, str, str], int] = {}

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self.platform.client.get_partial_messageable(channel_id)

    def _user_message(self) -> discord.PartialMessage:
        return self._channel(posted_in(self.message)).get_partial_message(
            int(self.message.message_id))

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        """The attachment's bytes; a link that no longer works (expired signature) is
        refreshed once by fetching the message again."""
        try:
            return await self.platform.fetcher.fetch(ref, max_bytes)
        except FetchError as exc:
            if not exc.detail.startswith("HTTP 4"):
                raise
            fresh = await self._refreshed(ref)
            if fresh is None:
                raise
            return await self.platform.fetcher.fetch(fresh, max_bytes)

    async def _refreshed(self, ref: ImageRef) -> ImageRef | None:
        try:
            await self.platform.login()
            found = await self._user_message().fetch()
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            log.info("discord.refresh_failed", error=type(exc).__name__)
            return None
        for attachment in found.attachments:
            if str(attachment.id) == ref.file_id:
                return dataclasses.replace(ref, url=attachment.url)
        return None

    async def status(self, status: Status) -> None:
        """React on the user's message (and show typing when received); never raises."""
        try:
            await self.platform.login()
            await self._user_message().add_reaction(REACTIONS[status])
            if status is Status.RECEIVED:
                await self._channel(posted_in(self.message)).typing()
        except Exception as exc:  # best effort by contract: progress must not fail a request
            log.warning("discord.reaction_failed", error=type(exc).__name__)

    async def partial(self, text: str) -> None:
        """Post the working message, then edit it at most once a second; never raises."""
        await self._working.update(text)

    async def _post_working(self, text: str) -> str:
        sent = await self._channel(await self._reply_channel()).send(split_text(text,
                                                                               PART_CHARS)[0])
        return str(sent.id)

    async def _edit_working(self, message_id: str, text: str) -> None:
        channel = self._channel(await self._reply_channel())
        await channel.get_partial_message(int(message_id)).edit(
            content=split_text(text, PART_CHARS)[0])

    async def _reply_channel(self) -> int:
        """A mention in a channel gets a thread started from it (its id is the message's); in a
        thread or a DM the answer goes there. Without the permission to create threads the
        answer goes to the channel. A message deleted before the answer is ready gets no
        answer at all (``DeliveryFailed("message_deleted")``, audited by the pipeline): its
        author withdrew it, and an answer in the channel would show what they took back."""
        if self._target is not None:
            return self._target
        await self.platform.login()
        message = self.message
        if message.is_dm or message.thread != message.message_id:
            self._target = posted_in(message)
            return self._target
        name = message.text or strings.t("discord.thread_name", message.language)
        try:
            thread = await self.platform.client.http.start_thread_with_message(
                int(message.channel), int(message.message_id), name=name[:THREAD_NAME_CHARS],
                auto_archive_duration=1440)
            self._target = int(thread["id"])
        except discord.HTTPException as exc:
            if exc.code == UNKNOWN_MESSAGE:  # deleted before the answer was ready: skip
                log.info("discord.message_deleted")
                raise DeliveryFailed("message_deleted", retryable=False) from None
            if exc.code != 160004:  # a thread already exists for this message: use it
                log.warning("discord.thread_failed", status=exc.status, code=exc.code)
                self._target = int(message.channel)
                return self._target
            self._target = int(message.message_id)
        return self._target

    async def reply(self, reply: Reply) -> None:
        """Post the reply in the thread: the working message becomes its first part, later
        parts follow; a consent prompt carries buttons for the uploader. Raises
        ``DeliveryFailed``; parts already posted are not posted again on a second call."""
        target = await self._deliver(self._reply_channel())
        channel = self._channel(target)
        if reply.ephemeral_to:
            lang = reply_language(self.message.language, reply.text)
            await self._deliver(channel.send(
                f"<@{reply.ephemeral_to}> {reply.text}"[:PART_CHARS],
                view=consent_view(reply.request_id, reply.ephemeral_to, lang),
                allowed_mentions=discord.AllowedMentions(users=True)))
            return
        parts = split_text(reply.text, PART_CHARS)
        key = (reply.request_id, reply.kind.value, reply.text)
        for index in range(self._parts_sent.get(key, 0), len(parts)):
            # the reply's buttons (receipt cards) go under its last part
            view = (actions_view(reply.actions)
                    if reply.actions and index == len(parts) - 1 else None)
            if index == 0 and self._working.message_id is not None:
                await self._replace_working(channel, parts[0], view)
            elif view is not None:
                await self._deliver(channel.send(parts[index], view=view))
            else:
                await self._deliver(channel.send(parts[index]))
            self._parts_sent[key] = index + 1
        if reply.attachments and self._parts_sent.get(key) == len(parts):
            files = [discord.File(_bytes_io(a.data), filename=a.filename)
                     for a in reply.attachments]
            await self._deliver(channel.send(files=files))
            self._parts_sent[key] = len(parts) + 1

    async def _replace_working(self, channel: discord.PartialMessageable, text: str,
                               view: discord.ui.View | None = None) -> None:
        """The working message becomes ``text`` (with ``view``'s buttons); if someone deleted
        it, post anew."""
        assert self._working.message_id is not None
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        try:
            await self._deliver(channel.get_partial_message(
                int(self._working.message_id)).edit(content=text, **extra))
        except DeliveryFailed as exc:
            if exc.retryable:
                raise
            await self._deliver(channel.send(text, **extra))

    @staticmethod
    async def _deliver(call: Awaitable[T]) -> T:
        try:
            return await call
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            failure = delivery_failed(exc)
            log.warning("discord.delivery_failed", error=failure.detail,
                        retryable=failure.retryable)
            raise failure from None


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
