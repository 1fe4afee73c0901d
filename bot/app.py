"""The one place that wires Miru together: ``build_app(settings, **ports)``.

Every collaborator is built here (the parts themselves in ``bot.wiring``) and every port can be
passed in instead: tests give a screener whose findings they set, an OCR that returns given
text, a counting engine, a clock, memory stores. Adapters get their ``Gateway`` (with its
``Access`` and ``ReviewDesk``) from ``App.gateway``; the integration API its per-request
pipeline from ``App.one_shot``. Nothing else constructs collaborators, and nothing is set on
``Services`` once it is built.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Mapping

from bot.core.access import Directory
from bot.core.home import Health
from bot.core.ingress import Ingress
from bot.core.quota import Quotas
from bot.errors import ConfigError
from bot.evidence.secrets import open_audit_log, open_quarantine
from bot.health import SetupHealth
from bot.imaging.ingest import IngestLimits, Ingestor
from bot.imaging.privacy import clean_image, wants_privacy_op
from bot.jobs.queue import JobQueue
from bot.ops.metrics import Metrics
from bot.ports import SYSTEM_CLOCK, Adapters, Clock
from bot.review.cards import ReviewCards, ReviewNotices
from bot.review.desk import CaseCards
from bot.runtime import App
from bot.services import ScreenerLike, Services, no_cards
from bot.stores.base import StateStore, ThreadMemory
from bot.stores.redis_base import RedisLike
from bot.vision.base import Engine
from bot.vision.factory import build_engine
from bot.vision.ocr_engine import OcrEngine
from bot.vision.ocr_words import Ocr
from bot.wiring import (
    build_ocr,
    connect_redis,
    hash_gate,
    hashlist_rescan,
    memory_store,
    model_checks,
    ocr_context_for,
    ocr_frame_for,
    one_shot_memory,
    open_ledger,
    open_review,
    pil_receipt_reader,
    pipeline_for,
    quality,
    receipt_reader,
    state_store,
)
from config.policy import load_policy
from config.settings import Settings


def assemble(settings: Settings, services: Services, *, redis: RedisLike | None = None,
             queue: JobQueue | None = None, quotas: Quotas | None = None,
             adapters: Adapters | None = None,
             one_shot: Callable[[], ThreadMemory] | None = None,
             directories: Mapping[str, Directory] | None = None,
             health: Health | None = None) -> App:
    """An ``App`` around a filled ``Services`` bundle: the pipeline, the ingress and the review
    notices. ``build_app`` ends here; tests that build their own bundle call it too."""
    adapters = adapters or Adapters()
    notices = (ReviewNotices(services.review, adapters) if services.review is not None
               else None)
    return App(settings, services, pipeline_for(services),
               Ingress(services.audit, quotas, services.clock), adapters,
               one_shot or one_shot_memory(settings, services.clock), redis, queue, quotas,
               notices, dict(directories or {}),
               hashlist_rescan(services, redis, notices,
                               consumer=queue.consumer if isinstance(queue, JobQueue) else ""),
               health or SetupHealth(settings))


def build_app(settings: Settings, *, memory_only: bool = False, engine: Engine | None = None,
              screener: ScreenerLike | None = None, ingestor: Ingestor | None = None,
              ocr: Ocr | None = None, clock: Clock = SYSTEM_CLOCK,
              memory: ThreadMemory | None = None, state: StateStore | None = None,
              one_shot: Callable[[], ThreadMemory] | None = None,
              review_cards: CaseCards | None = None,
              directories: Mapping[str, Directory] | None = None,
              consumer: str | None = None, review_redis: RedisLike | None = None,
              health: Health | None = None) -> App:
    """Wire Miru from settings. ``memory_only`` keeps thread memory in this process (the command
    line's one-shot ``ask``); otherwise Redis holds memory, state, the job queue and an audit
    mirror. With Redis (or ``review_redis``, the command line's ``ask`` when Redis answers),
    held and preserved uploads go to the shared review queue.

    Ports (keyword overrides; each defaults to the real part built from ``settings``):

    - ``screener``: the safety gates (``ScreenerLike``); default ``safety.build.build_screener``.
    - ``ocr``: the text reader (``bot.vision.ocr_words.Ocr``: ``read`` and ``words`` with boxes),
      used for every answered image's OCR context, receipt fields and the OCR-only engine;
      default ``bot.wiring.build_ocr`` (RapidOCR with ``MIRU_OCR_THREADS`` threads).
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
    - ``health``: the set-up checks an admin's home view shows (``bot.core.home.Health``);
      default ``bot.health.SetupHealth`` (``miru doctor``'s checks, time-limited, cached).
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
    ocr = ocr or build_ocr(settings)
    note = ""
    if engine is None:
        reader = ocr
        choice = build_engine(settings, ocr_engine_factory=lambda: OcrEngine(
            reader, receipts=pil_receipt_reader(reader)))
        engine, note = choice.engine, choice.note
    hashes = hash_gate(policy)
    if screener is None:
        from safety.build import build_screener  # loads onnxruntime and NudeNet: only here

        screener = build_screener(settings, policy, hashes=hashes)
    adapters = Adapters()
    shared = review_redis or redis
    review = (open_review(settings, policy, shared, audit, link=adapters.link, clock=clock)
              if shared is not None else None)
    cards = review_cards or (ReviewCards(review, policy, adapters) if review is not None
                             else no_cards)
    ledger, receipt_images = (open_ledger(settings, policy, redis, clock)
                              if redis is not None else (None, None))
    metrics = Metrics()
    quotas = Quotas(redis, policy, metrics) if redis is not None else None
    age_stage, receipt_opinion = model_checks(settings, engine)
    services = Services(
        settings=settings, policy=policy, metrics=metrics, quotas=quotas,
        ingestor=ingestor or Ingestor(IngestLimits.from_settings(settings)),
        screener=screener, engine=engine, audit=audit,
        memory=memory or memory_store(settings, policy, redis, clock),
        state=state or state_store(redis, consumer, clock), quarantine=quarantine,
        privacy_op=wants_privacy_op, clean_image=clean_image, quality=quality,
        ocr_context=ocr_context_for(ocr), ocr_frame=ocr_frame_for(ocr), engine_note=note,
        clock=clock,
        # expense threads keep their ledgers (and receipt images, encrypted) in Redis
        ledger=ledger, receipt_images=receipt_images,
        read_receipt=receipt_reader(ocr) if redis is not None else None,
        review=review, review_cards=cards, hashes=hashes,
        age_stage=age_stage, receipt_opinion=receipt_opinion,
    )
    queue = JobQueue(redis, consumer=consumer) if redis is not None else None
    return assemble(settings, services, redis=redis, queue=queue, quotas=quotas,
                    adapters=adapters, one_shot=one_shot, directories=directories,
                    health=health)
