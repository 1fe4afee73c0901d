"""The one place that wires Miru together: ``build_app(settings, **ports)``.

Every collaborator is built here (the parts themselves in ``bot.wiring``) and every port can be
passed in instead: tests give a screener whose findings they set, an OCR that returns given
text, a counting engine, a clock, memory stores. Adapters get their ``Gateway`` (with its
``Access`` and ``ReviewDesk``) from ``App.gateway``; the integration API its per-request
pipeline from ``App.one_shot``. Nothing else constructs collaborators, and nothing is set on
``Services`` once it is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.core.access import Access, Directory
from bot.core.account import Account
from bot.core.gateway import MAX_INFLIGHT, Gateway, Notify
from bot.core.ingress import Ingress
from bot.core.pipeline import Pipeline
from bot.core.quota import Quotas
from bot.core.receipt_thread import ReceiptThreads
from bot.core.steps import Steps
from bot.errors import ConfigError, StoreUnavailable
from bot.evidence.audit import AuditLog
from bot.evidence.secrets import open_audit_log, open_quarantine
from bot.imaging.ingest import IngestLimits, Ingestor
from bot.imaging.privacy import clean_image, wants_privacy_op
from bot.jobs.housekeeping import with_purge
from bot.jobs.queue import JobQueue
from bot.jobs.worker import GiveUp, Worker, is_retryable
from bot.models import IncomingMessage
from bot.ops.http import Ops
from bot.ports import SYSTEM_CLOCK, Adapters, Clock, Platform
from bot.receipts.ledger import Ledger
from bot.review.cards import ReviewCards, ReviewNotices
from bot.review.desk import CaseCards, ReviewDesk
from bot.services import ScreenerLike, Services, no_cards
from bot.stores.base import StateStore, ThreadMemory
from bot.stores.redis_base import REDIS_FAILURES, RedisLike
from bot.vision.base import Engine
from bot.vision.factory import build_engine
from bot.vision.ocr import OcrReader
from bot.vision.ocr_engine import OcrEngine
from bot.vision.ocr_words import Ocr
from bot.wiring import (
    connect_redis,
    memory_store,
    ocr_context_for,
    one_shot_memory,
    open_review,
    pil_receipt_reader,
    quality,
    receipt_reader,
    state_store,
)
from config.policy import PolicyConfig, load_policy
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
        """Worker side: take jobs from the shared queue and answer on their platform (each
        registered in ``adapters``, so new cases' cards and queued decisions go out on it).
        ``on_give_up(message, exc)`` runs once when a job is dropped for good; by default the
        user is told (once: the reply claim holds) and the audit log records it."""
        async def handle(message: IncomingMessage) -> None:
            await self.run_job(platforms, message)

        async def give_up(message: IncomingMessage, exc: BaseException | None) -> None:
            try:
                platform = platforms.get(message.platform)
                if platform is not None:
                    await self.pipeline.give_up(platform.conversation(message), exc)
            finally:
                await self.ingress.release(message)  # given up on for good: the slot is free

        if self.queue is None:
            raise RuntimeError("a worker needs a Redis job queue (build_app with Redis)")
        for platform in platforms.values():
            self.adapters.add(platform)
        await self.queue.ensure_group()
        shown = (asyncio.create_task(self.notices.run(stop)) if self.notices is not None
                 else None)
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
        platform = platforms.get(message.platform)
        if platform is None:
            log.error("no adapter for platform %s; job dropped", message.platform)
            await self.ingress.release(message)
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


def pipeline_for(services: Services) -> Pipeline:
    """A pipeline over ``services``, with its shared steps, the users' account and the
    expense-thread branch built on them."""
    steps = Steps(services)
    return Pipeline(services, steps=steps, account=Account(services),
                    receipts=ReceiptThreads(steps))


def assemble(settings: Settings, services: Services, *, redis: RedisLike | None = None,
             queue: JobQueue | None = None, quotas: Quotas | None = None,
             adapters: Adapters | None = None,
             one_shot: Callable[[], ThreadMemory] | None = None,
             directories: Mapping[str, Directory] | None = None) -> App:
    """An ``App`` around a filled ``Services`` bundle: the pipeline, the ingress and the review
    notices. ``build_app`` ends here; tests that build their own bundle call it too."""
    adapters = adapters or Adapters()
    notices = (ReviewNotices(services.review, adapters) if services.review is not None
               else None)
    return App(settings, services, pipeline_for(services),
               Ingress(services.audit, quotas, services.clock), adapters,
               one_shot or one_shot_memory(settings, services.clock), redis, queue, quotas,
               notices, dict(directories or {}))


def build_app(settings: Settings, *, memory_only: bool = False, engine: Engine | None = None,
              screener: ScreenerLike | None = None, ingestor: Ingestor | None = None,
              ocr: Ocr | None = None, clock: Clock = SYSTEM_CLOCK,
              memory: ThreadMemory | None = None, state: StateStore | None = None,
              one_shot: Callable[[], ThreadMemory] | None = None,
              review_cards: CaseCards | None = None,
              directories: Mapping[str, Directory] | None = None,
              consumer: str | None = None, review_redis: RedisLike | None = None) -> App:
    """Wire Miru from settings. ``memory_only`` keeps thread memory in this process (the command
    line's one-shot ``ask``); otherwise Redis holds memory, state, the job queue and an audit
    mirror. With Redis (or ``review_redis``, the command line's ``ask`` when Redis answers),
    held and preserved uploads go to the shared review queue.

    Ports (keyword overrides; each defaults to the real part built from ``settings``):

    - ``screener``: the safety gates (``ScreenerLike``); default ``safety.build.build_screener``.
    - ``ocr``: the text reader (``bot.vision.ocr_words.Ocr``: ``read`` and ``words`` with boxes),
      used for every answered image's OCR context, receipt fields and the OCR-only engine;
      default ``OcrReader()`` (Tesseract).
    - ``engine``: the vision engine (``bot.vision.base.Engine``); default from
      ``MIRU_VLM_BACKEND`` (the OCR engine over ``ocr`` when no model is there).
    - ``ingestor``: decode and process (``bot.imaging.ingest.Ingestor``).
    - ``memory``, ``state``: the thread memory and state stores (``bot.stores.base``); default
      Redis, or in-process with ``memory_only``. ``one_shot``: a factory of a fresh thread
      memory for each integration-API request (``App.one_shot``).
    - ``clock``: time (``bot.ports.Clock``: ``now``, ``monotonic``) for quotas, thread-turn and
      review-case stamps, ledger entries and in-memory TTLs.
    - ``review_cards``: posts a new case's card (``CaseCards``); default ``ReviewCards`` over the
      platforms registered in ``App.adapters``.
    - ``directories``: the platforms' member directories by name (``bot.core.access.Directory``:
      Slack's user groups and admins); an adapter may also pass its own to ``App.gateway``.
    - ``consumer``: this worker's name in the job group; ``review_redis``: a Redis for the
      review queue alone (``memory_only`` apps).
    """
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
    ocr = ocr or OcrReader()
    note = ""
    if engine is None:
        reader = ocr
        choice = build_engine(settings, ocr_engine_factory=lambda: OcrEngine(
            reader, receipts=pil_receipt_reader(reader)))
        engine, note = choice.engine, choice.note
    if screener is None:
        from safety.build import build_screener  # loads onnxruntime and NudeNet: only here

        screener = build_screener(settings, policy)
    adapters = Adapters()
    shared = review_redis or redis
    review = (open_review(settings, policy, shared, audit, link=adapters.link, clock=clock)
              if shared is not None else None)
    cards = review_cards or (ReviewCards(review, policy, adapters) if review is not None
                             else no_cards)
    services = Services(
        settings=settings, policy=policy,
        ingestor=ingestor or Ingestor(IngestLimits.from_settings(settings)),
        screener=screener, engine=engine, audit=audit,
        memory=memory or memory_store(settings, policy, redis, clock),
        state=state or state_store(redis, consumer, clock), quarantine=quarantine,
        privacy_op=wants_privacy_op, clean_image=clean_image, quality=quality,
        ocr_context=ocr_context_for(ocr), engine_note=note, clock=clock,
        # expense threads keep their ledgers in Redis
        ledger=(Ledger(redis, ttl_s=int(policy.retention.ledger_days * 24 * 3600),
                       clock=clock.now) if redis is not None else None),
        read_receipt=receipt_reader(ocr) if redis is not None else None,
        review=review, review_cards=cards,
    )
    queue = JobQueue(redis, consumer=consumer) if redis is not None else None
    quotas = Quotas(redis, policy, services.metrics) if redis is not None else None
    return assemble(settings, services, redis=redis, queue=queue, quotas=quotas,
                    adapters=adapters, one_shot=one_shot, directories=directories)
