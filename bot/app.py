"""The one place that wires real parts together: ``build_app(settings)``.

Tests pass other parts through keyword overrides (an engine that counts calls, a screener with a
test hash list); nothing else in the project constructs collaborators.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.pipeline import Pipeline
from bot.errors import ConfigError, StoreUnavailable
from bot.models import Image, IncomingMessage
from bot.ports import Platform
from bot.services import ScreenerLike, Services
from bot.stores.redis_base import (
    CLUSTER_OPTIONS,
    REDIS_FAILURES,
    ClusterClient,
    RedisLike,
    cluster_node_url,
)
from config.settings import Settings

if TYPE_CHECKING:
    from bot.core.account import Account
    from bot.core.quota import Quotas
    from bot.evidence.audit import AuditLog
    from bot.imaging.ingest import Ingestor
    from bot.jobs.queue import JobQueue
    from bot.jobs.worker import GiveUp
    from bot.ops.http import Ops
    from bot.review.service import Review
    from bot.stores.base import StateStore, ThreadMemory
    from bot.vision.base import Engine
    from config.policy import PolicyConfig

log = logging.getLogger(__name__)

_SUBMIT_FAILURES: tuple[type[BaseException], ...] = (StoreUnavailable, *REDIS_FAILURES)


@dataclass(frozen=True)
class SubmitResult:
    status: Literal["accepted", "duplicate", "unavailable"]
    job_id: str = ""


@dataclass
class App:
    settings: Settings
    services: Services
    pipeline: Pipeline
    redis: RedisLike | None = None
    queue: JobQueue | None = None  # when Redis is configured
    quotas: Quotas | None = None  # plans and quotas (with Redis; the gateway admits)

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
    def ops(self) -> Ops:
        """What ``/healthz`` and ``/metrics`` read: this process's metrics, the shared queue."""
        from bot.ops.http import Ops

        return Ops(self.services.metrics, self.queue, self.redis)

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
        """Worker side: take jobs from the shared queue and answer on their platform.
        ``on_give_up(message, exc)`` runs once when a job is dropped for good; by default the
        user is told (once: the reply claim holds) and the audit log records it."""
        from bot.jobs.housekeeping import with_purge
        from bot.jobs.worker import Worker

        async def handle(message: IncomingMessage) -> None:
            await self.run_job(platforms, message)

        async def give_up(message: IncomingMessage, exc: BaseException | None) -> None:
            try:
                platform = platforms.get(message.platform)
                if platform is not None:
                    await self.pipeline.give_up(platform.conversation(message), exc)
            finally:
                await self._release(message)  # given up on for good: the slot is free

        if self.queue is None:
            raise RuntimeError("a worker needs a Redis job queue (build_app with Redis)")
        notices = None
        if self.services.review is not None:  # new cases' cards go out on their platform
            from bot.review.desk import CardPoster, ReviewCards, ReviewNotices

            posters: dict[str, CardPoster] = {
                n: p for n, p in platforms.items()  # type: ignore[misc]
                if hasattr(p, "post_review_card")}
            self.services.review_cards = ReviewCards(self.services.review, self.policy, posters)
            notices = ReviewNotices(self.services.review, posters)
        await self.queue.ensure_group()
        shown = asyncio.create_task(notices.run(stop)) if notices is not None else None
        try:
            await with_purge(Worker(self.queue, handle, concurrency=concurrency,
                                    on_give_up=on_give_up or give_up,
                                    metrics=self.services.metrics).run(stop),
                             self.services.quarantine, stop, review=self.services.review)
        finally:
            if shown is not None:
                shown.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await shown

    async def run_job(self, platforms: Mapping[str, Platform], message: IncomingMessage
                      ) -> None:
        """One queued request on its platform. The request's concurrency slot is freed when it
        ends; a retry, or a job handed back for another worker (cancelled on stop), keeps it:
        the same request is still in progress, and freeing it would let the user start one
        more meanwhile."""
        from bot.jobs.worker import is_retryable

        platform = platforms.get(message.platform)
        if platform is None:
            log.error("no adapter for platform %s; job dropped", message.platform)
            await self._release(message)
            return
        try:
            await self.pipeline.run(platform.conversation(message))
        except BaseException as exc:
            if not (is_retryable(exc) or isinstance(exc, asyncio.CancelledError)):
                await self._release(message)
            raise
        await self._release(message)

    async def _release(self, message: IncomingMessage) -> None:
        """Free the request's concurrency slot (a Redis hiccup lets it lapse by its TTL)."""
        if self.quotas is None:
            return
        from bot.core.pipeline import request_id_for

        try:
            await self.quotas.release(message, request_id_for(message))
        except StoreUnavailable as exc:
            log.warning("quota slot not released (lapses by itself): %s", exc.detail)

    async def close(self) -> None:
        await self.services.engine.close()
        self.services.ingestor.close()
        if self.redis is not None:
            await self.redis.aclose()


def build_app(settings: Settings, *, memory_only: bool = False, engine: Engine | None = None,
              screener: ScreenerLike | None = None, ingestor: Ingestor | None = None,
              consumer: str | None = None, review_redis: RedisLike | None = None) -> App:
    """Wire Miru from settings. ``memory_only`` keeps thread memory in this process (the command
    line's one-shot ``ask``); otherwise Redis holds memory, state, the job queue and an audit
    mirror. With Redis (or ``review_redis``, the command line's ``ask`` when Redis answers),
    held and preserved uploads go to the shared review queue."""
    import os
    import secrets
    import socket

    from bot.evidence.secrets import open_audit_log, open_quarantine
    from bot.imaging.ingest import IngestLimits, Ingestor
    from bot.imaging.privacy import clean_image, wants_privacy_op
    from bot.vision.factory import build_engine
    from bot.vision.ocr import OcrReader
    from bot.vision.ocr_engine import OcrEngine
    from config.policy import load_policy

    policy = load_policy(settings.policy_file)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"MIRU_DATA_DIR {settings.data_dir} cannot be created: "
                          f"{exc.strerror or exc}") from None
    redis = None if memory_only else connect_redis(settings.redis_url)  # connects on first use
    # Secrets and keys first: a bad one stops start-up before any model is loaded.
    audit = open_audit_log(settings, redis)
    quarantine = open_quarantine(settings, policy.retention)
    # The worker's name in the job group, its heartbeat and its reply claims; unique per process
    # start (a restarted container keeps its hostname and often its pid).
    consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"
    memory, state = _stores(settings, policy, redis, consumer)
    reader = OcrReader()
    note = ""
    if engine is None:
        choice = build_engine(settings, ocr_engine_factory=lambda: OcrEngine(
            reader, receipts=_pil_receipt_reader(reader)))
        engine, note = choice.engine, choice.note
    if screener is None:
        from safety.build import build_screener

        screener = build_screener(settings, policy)
    services = Services(
        settings=settings, policy=policy,
        ingestor=ingestor or Ingestor(IngestLimits.from_settings(settings)),
        screener=screener, engine=engine,
        audit=audit, memory=memory, state=state, quarantine=quarantine,
        privacy_op=wants_privacy_op, clean_image=clean_image, quality=_quality,
        # the text in an image need not be in the question's language: read with "auto";
        # a receipt in layout order, each label with its amount (bot/receipts/context.py)
        ocr_context=lambda img, _lang: _ocr_context(reader, img),
        engine_note=note,
    )
    shared = review_redis or redis
    if shared is not None:
        services.review = open_review(settings, policy, shared, audit)
    if redis is not None:  # expense threads keep their ledgers in Redis
        from bot.receipts.ledger import Ledger

        services.ledger = Ledger(redis, ttl_s=int(policy.retention.ledger_days * 24 * 3600))
        services.read_receipt = _receipt_reader(reader)
    queue = quotas = None
    if redis is not None:
        from bot.core.quota import Quotas
        from bot.jobs.queue import JobQueue

        queue = JobQueue(redis, consumer=consumer)
        quotas = Quotas(redis, policy, services.metrics)
    return App(settings, services, Pipeline(services), redis, queue, quotas)


def open_review(settings: Settings, policy: PolicyConfig, redis: RedisLike, audit: AuditLog
                ) -> Review:
    """The moderators' queue: cases in Redis, evidence in the shared (Redis) quarantine."""
    from bot.evidence.secrets import open_shared_quarantine
    from bot.review.service import Review
    from bot.review.store import ReviewStore

    return Review(ReviewStore(redis), open_shared_quarantine(settings, redis, policy.retention),
                  audit)


def connect_redis(url: str, *, max_connections: int = 64) -> RedisLike:
    """One client per process: a bounded pool that makes a burst wait for a connection instead
    of failing, and a few quick retries when a connection drops mid-command. A
    ``redis+cluster://`` URL gives a ``RedisCluster`` (docs/deployment.md): it finds the other
    nodes, sends each command to its slot's master and follows MOVED; its pool is per node and
    does not wait, so it gets four times the room."""
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.02), retries=3)
    node = cluster_node_url(url)
    if node is not None:
        return ClusterClient.from_url(
            node, max_connections=4 * max_connections, socket_timeout=5,
            socket_connect_timeout=2, retry=retry,
            retry_on_error=[RedisConnectionError, RedisTimeoutError], **CLUSTER_OPTIONS)
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, socket_timeout=5,
        socket_connect_timeout=2, retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError])
    return Redis(connection_pool=pool)


def build_screening(settings: Settings) -> tuple[Ingestor, ScreenerLike, PolicyConfig]:
    """Only what a verdict needs (``miru screen`` stops there): ingestor, screener, policy."""
    from bot.imaging.ingest import IngestLimits, Ingestor
    from config.policy import load_policy
    from safety.build import build_screener

    policy = load_policy(settings.policy_file)
    return (Ingestor(IngestLimits.from_settings(settings)), build_screener(settings, policy),
            policy)


def _stores(settings: Settings, policy: PolicyConfig, redis: RedisLike | None, consumer: str
            ) -> tuple[ThreadMemory, StateStore]:
    day = 24 * 3600
    turn_ttl_s = int(policy.retention.turns_days * day)
    image_ttl_s = int(policy.retention.images_days * day)
    if redis is None:
        from bot.stores.memory import MemoryStateStore, MemoryThreadMemory

        return (MemoryThreadMemory(turn_ttl_s=turn_ttl_s, image_ttl_s=image_ttl_s,
                                   max_turns=settings.max_turns,
                                   max_image_bytes=settings.max_thread_image_bytes),
                MemoryStateStore())
    from bot.stores.redis_store import RedisStateStore, RedisThreadMemory

    return (RedisThreadMemory(redis, turn_ttl_s=turn_ttl_s, image_ttl_s=image_ttl_s,
                              max_turns=settings.max_turns,
                              max_image_bytes=settings.max_thread_image_bytes),
            RedisStateStore(redis, holder=consumer))


def _pil(img: Image):
    from PIL import Image as PILImage

    return PILImage.open(io.BytesIO(img.data)).convert("RGB")


def _ocr_context(reader, img: Image) -> str:
    from bot.receipts.context import ocr_context

    return ocr_context(reader, _pil(img))


def _pil_receipt_reader(reader):
    """For the OCR-only engine: a receipt's fields from an image it has opened."""
    def read(pil):
        from bot.receipts.reader import read_receipt

        return read_receipt(pil, ocr=reader)

    return read


def _receipt_reader(reader):
    """An allowed (processed) image's receipt fields, read with the app's OCR reader."""
    def read(img: Image):
        from bot.receipts.reader import read_receipt

        return read_receipt(_pil(img), ocr=reader)

    return read


def _quality(img: Image):
    from bot.imaging.quality import assess

    return assess(_pil(img))
