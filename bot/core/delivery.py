"""Posting a reply exactly once, and never losing the user to a failed post.

``Delivery`` holds one request's reply claim (``StateStore.claim_reply``: a job that runs twice
answers once; the post done, ``reply_posted`` closes the claim, and until then a run after the
holder's death may take it over, so a worker killed mid-answer still answers) and posts through
the ``Conversation``: a ``DeliveryFailed`` the adapter marks retryable (rate limit, timeout,
5xx left after the platform client's own retries) is tried again with backoff; anything else
is final. When the reply cannot be posted, the user is told with a short error reply where that
can still be posted. Nothing here raises to the caller: the job must not be re-run because a
post failed (that would screen and call the model again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot import strings
from bot.errors import DeliveryFailed, StoreUnavailable
from bot.models import Reply, ReplyKind
from bot.ports import Conversation
from bot.stores.base import StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    error: DeliveryFailed | None = None


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryFailed) and exc.retryable


@dataclass
class Delivery:
    """One request's way out. ``attempts`` and ``wait_s`` bound the retries of one post."""

    state: StateStore
    request_id: str
    attempts: int = 3
    wait_s: float = 1.0
    _claimed: bool | None = field(default=None, init=False)

    async def claim(self) -> bool:
        """True when this run may post (first claimant, remembered for the rest of the run).
        When the store cannot say, answer: answering twice beats not answering."""
        if self._claimed is None:
            try:
                self._claimed = await self.state.claim_reply(self.request_id)
            except StoreUnavailable:
                self._claimed = True
            if not self._claimed:
                log.info("reply already claimed", extra={"request_id": self.request_id})
        return self._claimed

    async def send(self, conv: Conversation, reply: Reply, lang: str = "en") -> DeliveryResult:
        """Post ``reply`` (after claiming); on failure tell the user once, in ``lang``, where
        a short notice can still be posted."""
        if not await self.claim():
            return DeliveryResult(False)
        try:
            await self._post(conv, reply)
            await self._posted()
            return DeliveryResult(True)
        except DeliveryFailed as exc:
            log.warning("reply not delivered: %s", exc.detail,
                        extra={"request_id": self.request_id, "retryable": exc.retryable})
            error = exc
        await self._posted()  # this run is alive and done with it: no later run takes over
        if reply.kind is not ReplyKind.ERROR and not reply.ephemeral_to:
            notice = Reply(ReplyKind.ERROR, strings.t("error.delivery", lang),
                           reply.thread, reply.request_id, action=reply.action)
            try:
                await self._post(conv, notice, attempts=1)
            except DeliveryFailed as exc:
                log.warning("error notice not delivered either: %s", exc.detail,
                            extra={"request_id": self.request_id})
        return DeliveryResult(False, error)

    async def _posted(self) -> None:
        """Close the claim: a run of this job after this worker dies must not answer again.
        If the store cannot say so, a takeover stays possible (answering twice beats not
        answering)."""
        try:
            await self.state.reply_posted(self.request_id)
        except StoreUnavailable as exc:
            log.warning("reply claim not closed: %s", exc.detail,
                        extra={"request_id": self.request_id})

    async def _post(self, conv: Conversation, reply: Reply, *, attempts: int | None = None
                    ) -> None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts or self.attempts),
            wait=wait_exponential(multiplier=self.wait_s, max=self.wait_s * 8),
            retry=retry_if_exception(_retryable), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    await _post_once(conv, reply)
        except RetryError as exc:  # reraise=True makes this unlikely; keep the contract anyway
            raise DeliveryFailed(str(exc)) from exc


async def _post_once(conv: Conversation, reply: Reply) -> None:
    try:
        await conv.reply(reply)
    except DeliveryFailed:
        raise
    except Exception as exc:  # an adapter bug or an unmapped client error: final, not retried
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
