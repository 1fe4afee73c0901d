"""Matching stored images and open review cases again when an operator's hash list changes.

Every use of a stored image already matches its hashes against the lists as they are
(``bot.core.steps.Steps.screen``); this sweep catches what is not used again: when the lists'
``fingerprint`` differs from the one the last sweep recorded in Redis (a worker starting with new
lists), or by hand (``miru hashlist rescan``), it

- walks every thread's stored images (``bot.stores.thread_scan``: metadata, no bytes) and
  matches each one's original SHA-256 and PDQ hashes; a match is preserved in a new
  ``block_and_preserve`` case (its evidence encrypted, the verdict from the policy as for a
  fresh upload), removed from the thread, and audited (``stored_image_dropped``);
- matches every pending review case's items (but cases opened for a hash match already); a
  match is marked (no preview, no Reveal from now on) and escalated by ``system:hashlist``
  (legal hold, audited as ``review_decision``). Its card is updated, but the uploader is not
  told: a hash-list match never warns the uploader (docs/reporting.md).

One worker sweeps at a time (a lock that lapses if it dies); the fingerprint is recorded only
after a sweep that failed nowhere, so a failed one is tried again at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from bot import keys
from bot.errors import QuarantineError, StoreUnavailable
from bot.evidence.audit import AuditLog
from bot.models import Image, IncomingMessage, ThreadKey
from bot.ports import HashMatcher
from bot.review.cards import ReviewNotices
from bot.review.model import Case, CaseStatus, Decision
from bot.review.service import Actor, Review
from bot.stores.redis_base import RedisLike, redis_errors
from bot.stores.redis_base import text as _text
from bot.stores.redis_store import RedisThreadMemory
from bot.stores.thread_scan import stored_images, threads_with_images
from config.policy import PolicyConfig
from safety.policy import context_for, redecide

log = logging.getLogger(__name__)

SYSTEM = Actor("system", "hashlist")


@dataclass(frozen=True)
class RescanResult:
    threads: int = 0  # threads with stored images looked at
    images: int = 0  # stored images matched
    dropped: int = 0  # stored images a list names: preserved in a case, removed from the thread
    cases: int = 0  # pending cases matched
    escalated: int = 0  # pending cases a list names: escalated
    failed: int = 0  # matches that could not be preserved or escalated (tried again next time)
    truncated: bool = False  # stopped at ``max_threads``

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class HashlistRescan:
    """``cards``: posts a new case's card (a worker's ``Services.review_cards``; nothing on the
    command line, where the case waits in ``miru review list``)."""

    def __init__(self, redis: RedisLike, hashes: HashMatcher, review: Review,
                 memory: RedisThreadMemory, audit: AuditLog, policy: PolicyConfig, *,
                 notices: ReviewNotices | None = None,
                 cards: Callable[[Case], Awaitable[None]] | None = None,
                 consumer: str = "", max_threads: int = keys.HASHLIST_RESCAN_MAX_THREADS
                 ) -> None:
        self.r = redis
        self.hashes = hashes
        self.review = review
        self.memory = memory
        self.audit = audit
        self.policy = policy
        self.notices = notices
        self.cards = cards
        self.consumer = consumer or "rescan"
        self.max_threads = max_threads

    async def needed(self) -> bool:
        """Whether the lists differ from those the last sweep matched against."""
        with redis_errors("hashlist fingerprint"):
            recorded = await self.r.get(keys.HASHLIST_FINGERPRINT)
        return recorded is None or _text(recorded) != self.hashes.fingerprint

    async def on_start(self, stop: asyncio.Event | None = None) -> RescanResult | None:
        """At a worker's start: sweep when the lists changed and no other worker sweeps now;
        None when nothing was done. Never raises."""
        try:
            if not await self.needed():
                return None
            with redis_errors("hashlist lock"):
                if not await self.r.set(keys.HASHLIST_RESCAN_LOCK, self.consumer, nx=True,
                                        ex=keys.HASHLIST_RESCAN_LOCK_TTL_S):
                    return None
            try:
                result = await self.rescan(stop)
            finally:
                with redis_errors("hashlist lock"):
                    await self.r.delete(keys.HASHLIST_RESCAN_LOCK)
        except StoreUnavailable as exc:
            log.warning("hash-list sweep not done (tried again at the next start): %s",
                        exc.detail)
            return None
        except Exception:  # the worker must outlive a bug here
            log.exception("hash-list sweep failed")
            return None
        log.info("hash-list sweep: %s", result.as_dict())
        return result

    async def rescan(self, stop: asyncio.Event | None = None) -> RescanResult:
        """Match every stored image and every pending case against the lists now; record
        the lists' fingerprint when nothing failed."""
        threads = images = dropped = failed = 0
        truncated = False
        async for thread in threads_with_images(self.r):
            if (stop is not None and stop.is_set()) or threads >= self.max_threads:
                truncated = True
                break
            threads += 1
            for img in await stored_images(self.r, thread):
                images += 1
                listed = self.hashes.match(img.original_sha256, img.pdq, 0)
                if listed:
                    ok = await self._drop(thread, img, listed)
                    dropped += ok
                    failed += not ok
        cases = escalated = 0
        for case in await self.review.store.list(CaseStatus.PENDING, limit=1_000_000):
            cases += 1
            if self._case_listed(case):
                ok = await self._escalate(case)
                escalated += ok
                failed += not ok
        result = RescanResult(threads, images, dropped, cases, escalated, failed, truncated)
        if not failed and not truncated:
            with redis_errors("hashlist fingerprint"):
                await self.r.set(keys.HASHLIST_FINGERPRINT, self.hashes.fingerprint)
        return result

    def _case_listed(self, case: Case) -> bool:
        """A list names one of the case's items now, and did not when it was opened (a case
        opened for a hash match is the moderators' as it stands: docs/reporting.md)."""
        if case.hash_match or "hash_match" in case.reasons:
            return False
        pdq = case.pdq
        return any(self.hashes.match(sha, pdq[i] if i < len(pdq) else (), i)
                   for i, sha in enumerate(case.images))

    async def _drop(self, thread: ThreadKey, img: Image, listed: tuple) -> bool:
        """Preserve the stored image in a case, remove it from the thread, audit; False when
        it could not be preserved (it stays, and every use of it is stopped meanwhile)."""
        got = await self.memory.get_images(thread, [img.sha256])
        if not got:
            return True  # expired or dropped meanwhile: nothing left to preserve
        full = got[0]
        ctx = context_for(self.policy, thread.channel, "")
        verdict = redecide((*img.findings, *listed), ctx, self.policy, image_index=0,
                           blurred=img.blurred)
        msg = IncomingMessage(thread.platform, thread.workspace, thread.channel, thread.thread,
                              message_id="", user=img.uploader, text="")
        request_id = f"hashlist:{thread.tag()}:{img.sha256[:16]}"
        try:
            case = await self.review.open_case(msg, request_id, verdict, {0: full.data},
                                               images=(img.original_sha256,), pdq=(img.pdq,))
        except (QuarantineError, StoreUnavailable, OSError) as exc:
            log.error("stored image %s matches a hash list but was not preserved: %s",
                      img.sha256, exc)
            return False
        if self.cards is not None:
            try:
                await self.cards(case)
            except Exception:  # the case is in the queue either way
                log.exception("review card for case %s not posted", case.id)
        await self.memory.drop_images(thread, [img.sha256])
        await self.audit.write(self.audit.record(
            "stored_image_dropped", request_id, platform=thread.platform, user=img.uploader,
            channel=thread.channel, thread=thread.thread, verdict=verdict,
            images=[img.original_sha256],
            detail={"images": [img.sha256], "hash_listed": [img.sha256], "case": case.id,
                    "by": "hashlist_rescan"}))
        return True

    async def _escalate(self, case: Case) -> bool:
        try:
            if not await self.review.store.mark_hash_match(case.id):
                return True  # gone meanwhile
            result = await self.review.decide(case.id, Decision.ESCALATE, SYSTEM)
        except StoreUnavailable as exc:
            log.error("case %s matches a hash list but was not escalated: %s", case.id,
                      exc.detail)
            return False
        if result.outcome == "ok" and result.case is not None and self.notices is not None:
            try:  # the card shows it; the uploader is never told of a hash-list match
                await self.notices.publish(result.case, Decision.ESCALATE, tell=False)
            except StoreUnavailable as exc:
                log.warning("card of case %s not updated: %s", case.id, exc.detail)
        return True
