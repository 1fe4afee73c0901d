"""``App``: a wired Miru at run time. ``bot.app.build_app`` builds it; nothing else does.

It hands adapters their ``Gateway`` (``gateway``), the integration API its per-request pipeline
(``one_shot``), and runs the gateway side (``submit``) and the worker side (``run_worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.core.access import Access, Directory
from bot.core.account import Account
from bot.core.gateway import MAX_INFLIGHT, Gateway, Notify
from bot.core.home import Health
from bot.core.ingress import Ingress
from bot.core.outcome import request_id_for
from bot.core.pipeline import Pipeline
from bot.core.quota import Quotas
from bot.errors import StoreUnavailable
from bot.evidence.audit import AuditLog
from bot.jobs.housekeeping import with_purge
from bot.jobs.legacy import adopt_legacy
from bot.jobs.queue import JobQueue
from bot.jobs.unserved import UnservedJobs
from bot.jobs.worker import GiveUp, Worker, is_retryable
from bot.models import IncomingMessage
from bot.ops.http import Ops
from bot.ports import Adapters, Clock, Platform
from bot.review.cards import ReviewNotices
from bot.review.desk import ReviewDesk
from bot.review.rescan import HashlistRescan
from bot.services import Services
from bot.stores.base import StateStore, ThreadMemory
from bot.stores.redis_base import REDIS_FAILURES, RedisLike
from bot.wiring import pipeline_for
from config.policy import PolicyConfig
from config.settings import Settings

log = logging.getLogger(__name__)

_SUBMIT_FAILURES: tuple[type[BaseException], ...] = (StoreUnavailable, *REDIS_FAILURES)


@dataclass(frozen=True)
class SubmitResult:
    status: Literal["accepted", "duplicate", "unavailable"]
    job_id: str = ""


@dataclass
class App:
    """A wired Miru. ``adapters`` is filled by ``gateway`` and ``run_worker`` with the platforms
    this process serves (review cards and notices find them there); ``directories`` are the
    platforms' member directories (Slack's groups and admins) by platform name."""

    settings: Settings
    services: Services
    pipeline: Pipeline
    ingress: Ingress
    adapters: Adapters
    one_shot_memory: Callable[[], ThreadMemory]
    redis: RedisLike | None = None
    queue: JobQueue | None = None  # when Redis is configured
    quotas: Quotas | None = None  # plans and quotas (with Redis; the ingress admits)
    notices: ReviewNotices | None = None  # decisions taken on the command line (with review)
    directories: Mapping[str, Directory] = field(default_factory=dict)
    rescan: HashlistRescan | None = None  # stored images and open cases, when the lists change
    health: Health | None = None  # the set-up checks an admin's home view shows (bot.health)

    @property
    def account(self) -> Account:
        """Users' own data and choices (language, consent answers, forget)."""
        return self.pipeline.account

    @property
    def state(self) -> StateStore:
        return self.services.state

    @property
    def memory(self) -> ThreadMemory:
        return self.services.memory

    @property
    def audit(self) -> AuditLog:
        return self.services.audit

    @property
    def policy(self) -> PolicyConfig:
        return self.services.policy

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def ops(self) -> Ops:
        """What ``/healthz`` and ``/metrics`` read: this process's metrics, the shared queue."""
        return Ops(self.services.metrics, self.queue, self.redis)

    def gateway(self, platform: Platform, *, directory: Directory | None = None,
                notify: Notify | None = None,
                allow: Callable[[IncomingMessage], bool] | None = None,
                max_inflight: int = MAX_INFLIGHT) -> Gateway:
        """The gateway an adapter hands its translated events to: team permissions (the
        policy's tables, ``/miru admin``'s overlay in Redis, and the platform's ``directory``
        where membership needs asking, else ``directories[platform.name]``), the moderators'
        desk when there is a review queue, and ``platform`` registered for review cards."""
        self.adapters.add(platform)
        access = Access(self.policy, self.redis,
                        directory or self.directories.get(platform.name))
        return Gateway(self, platform, access=access, review=self.desk(), notify=notify,
                       allow=allow, max_inflight=max_inflight)

    def desk(self) -> ReviewDesk | None:
        """The moderators' desk (who may act, button presses), with Redis."""
        if self.services.review is None:
            return None
        return ReviewDesk(self.services.review, self.policy, self.submit,
                          info=self.adapters.info, cards=self.services.review_cards)

    def one_shot(self) -> Pipeline:
        """The pipeline with a thread memory of its own (``one_shot_memory``): an API request
        is one turn, as ``miru ask`` is, and leaves no thread behind."""
        return pipeline_for(replace(self.services, memory=self.one_shot_memory()))

    async def submit(self, message: IncomingMessage) -> SubmitResult:
        """Gateway side: drop re-deliveries, enqueue the rest; never runs the pipeline itself."""
        if self.queue is None:
            raise RuntimeError("submit needs a Redis job queue (build_app with Redis)")
        try:
            if message.event_id and not await self.state.first_time(message.platform,
                                                                    message.event_id):
                return SubmitResult("duplicate")
            # XADD creates the stream; workers create the group (from id 0, so nothing added
            # before a worker starts is missed): no extra round trip on the ack path.
            return SubmitResult("accepted", await self.queue.enqueue(message))
        except _SUBMIT_FAILURES as exc:
            log.warning("cannot enqueue: %s", type(exc).__name__)
            return SubmitResult("unavailable")

    async def run_worker(self, platforms: Mapping[str, Platform], stop: asyncio.Event,
                         *, concurrency: int = 4, on_give_up: GiveUp | None = None) -> None:
        """Worker side: take jobs from the streams of ``platforms`` only (a worker answers
        only the platforms whose credentials it has) and answer on their platform (each
        registered in ``adapters``, so new cases' cards and queued decisions go out on it).
        ``on_give_up(message, exc)`` runs once when a job is dropped for good; by default the
        user is told (once: the reply claim holds) and the audit log records it. Beside it:
        the hourly purge, the review notices, the sweep of jobs no worker serves
        (``bot.jobs.unserved``), whose users this worker tells for its own platforms, and,
        when the hash lists changed, the sweep of stored images and open cases
        (``bot.review.rescan``)."""
        async def handle(message: IncomingMessage) -> None:
            await self.run_job(platforms, message)

        async def tell(message: IncomingMessage) -> None:
            platform = platforms.get(message.platform)
            if platform is not None:
                await self.pipeline.give_up(platform.conversation(message), None,
                                            code="unserved", message_key="jobs.unserved")

        async def give_up(message: IncomingMessage, exc: BaseException | None) -> None:
            try:
                platform = platforms.get(message.platform)
                if platform is not None:
                    await self.pipeline.give_up(platform.conversation(message), exc)
            finally:
                await self.ingress.release(message)  # given up on for good: the slot is free

        if self.queue is None:
            raise RuntimeError("a worker needs a Redis job queue (build_app with Redis)")
        if not platforms:
            raise RuntimeError("a worker needs at least one platform to answer on")
        for platform in platforms.values():
            self.adapters.add(platform)
        queue = self.queue.serving(platforms)
        await queue.ensure_group()
        try:
            await adopt_legacy(queue)
        except StoreUnavailable as exc:  # tried again with every sweep
            log.warning("jobs of the old shared stream not moved yet: %s", exc.detail)
        unserved = UnservedJobs(queue, max_wait_s=self.settings.job_unserved_max_s,
                                on_dead=self.unserved, tell=tell)
        beside: list[asyncio.Task[object]] = [
            asyncio.create_task(unserved.run(stop), name="unserved-jobs")]
        if self.notices is not None:
            beside.append(asyncio.create_task(self.notices.run(stop), name="review-notices"))
        if self.rescan is not None:  # the hash lists changed since the last sweep: sweep
            beside.append(asyncio.create_task(self.rescan.on_start(stop), name="hashlist"))
        try:
            await with_purge(Worker(queue, handle, concurrency=concurrency,
                                    on_give_up=on_give_up or give_up,
                                    metrics=self.services.metrics).run(stop),
                             self.services.quarantine, stop, review=self.services.review)
        finally:
            for task in beside:
                task.cancel()
            for task in beside:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def unserved(self, message: IncomingMessage, dead_id: str, queued_at: float
                       ) -> None:
        """A job waited past ``job_unserved_max_s`` with no worker serving its platform and
        went to the dead letters: audited, and its images and slot given back (it was never
        answered)."""
        log.error("job of %s moved to the dead letters as %s: no worker serves the platform",
                  message.platform, dead_id)
        try:
            await self.audit.write(self.audit.record(
                "job_unserved", request_id_for(message), platform=message.platform,
                user=message.user, channel=message.channel, thread=message.thread,
                detail={"dead": dead_id, "waited_s": round(self.services.clock.now()
                                                           - queued_at)}))
        finally:
            await self.ingress.refund(message, at=queued_at)
            await self.ingress.release(message)

    async def run_job(self, platforms: Mapping[str, Platform], message: IncomingMessage
                      ) -> None:
        """One queued request on its platform. The request's concurrency slot is freed when it
        ends; a retry, or a job handed back for another worker (cancelled on stop), keeps it:
        the same request is still in progress, and freeing it would let the user start one
        more meanwhile."""
        platform = platforms.get(message.platform)
        if platform is None:  # in a stream of another platform: queue it where it belongs
            if self.queue is None:
                raise RuntimeError("a worker needs a Redis job queue")
            entry = await self.queue.enqueue(message)
            log.warning("a %s job was in another platform's stream; queued again on its own "
                        "as %s", message.platform, entry)
            return
        try:
            await self.pipeline.run(platform.conversation(message))
        except BaseException as exc:
            if not (is_retryable(exc) or isinstance(exc, asyncio.CancelledError)):
                await self.ingress.release(message)
            raise
        await self.ingress.release(message)

    async def close(self) -> None:
        await self.services.engine.close()
        self.services.ingestor.close()
        if self.redis is not None:
            await self.redis.aclose()
