"""The parts ``bot.app.build_app`` puts together, each built from settings: the Redis client,
the stores, the review queue, the screening subset, and the OCR-backed steps (OCR context for a
vision model, receipt fields). Only the bootstrap (``bot.app``) and the command line's own
set-up (``miru review``, ``miru doctor``) call these; nothing else constructs collaborators.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image as PILImage
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.account import Account
from bot.core.age_stage import AgeStage
from bot.core.pipeline import Pipeline
from bot.core.receipt_thread import ReceiptThreads
from bot.core.steps import Steps
from bot.evidence.audit import AuditLog
from bot.evidence.quarantine import multi_fernet
from bot.evidence.secrets import open_quarantine, open_shared_quarantine, quarantine_key
from bot.imaging.ingest import IngestLimits, Ingestor
from bot.imaging.quality import QualityHint, assess
from bot.models import Image, IncomingMessage
from bot.ports import SYSTEM_CLOCK, Clock
from bot.receipts.context import ocr_context
from bot.receipts.images import ReceiptImages
from bot.receipts.ledger import Ledger
from bot.receipts.model import Receipt
from bot.receipts.opinion import ReceiptOpinions
from bot.receipts.reader import read_receipt
from bot.review.cards import ReviewNotices
from bot.review.keep import EvidenceKeeper
from bot.review.rescan import HashlistRescan
from bot.review.service import Review
from bot.review.store import ReviewStore
from bot.services import ScreenerLike, Services, no_cards
from bot.stores.base import StateStore, ThreadMemory
from bot.stores.memory import MemoryStateStore, MemoryThreadMemory
from bot.stores.redis_base import CLUSTER_OPTIONS, ClusterClient, RedisLike, cluster_node_url
from bot.stores.redis_store import RedisStateStore, RedisThreadMemory
from bot.vision.base import Engine
from bot.vision.factory import build_engine
from bot.vision.ocr import OcrReader
from bot.vision.ocr_engine import OcrEngine
from bot.vision.ocr_words import Ocr
from bot.vision.rapid import RapidEngine
from config.policy import PolicyConfig, load_policy
from config.settings import Settings
from safety.hashlist import HashGate
from safety.types import DecodedImage

DAY_S = 24 * 3600


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
    # from_pool: the client owns its pool, so ``aclose()`` disconnects it (``Redis(
    # connection_pool=pool)`` leaves a given pool open and its sockets to the garbage collector)
    return Redis.from_pool(pool)


def open_review(settings: Settings, policy: PolicyConfig, redis: RedisLike, audit: AuditLog,
                *, link: Callable[[IncomingMessage], str] | None = None,
                clock: Clock = SYSTEM_CLOCK) -> Review:
    """The moderators' queue: cases in Redis, evidence in the shared (Redis) quarantine.
    ``link``: a link to the uploader's message (the app's ``Adapters.link``)."""
    quarantine = open_shared_quarantine(settings, redis, policy.retention)
    if link is None:
        return Review(ReviewStore(redis), quarantine, audit, clock=clock)
    return Review(ReviewStore(redis), quarantine, audit, link=link, clock=clock)


def hash_gate(policy: PolicyConfig) -> HashGate:
    """The operator's hash lists from the policy: the first gate, and what stored images and
    open cases are matched against again (``Services.hashes``, ``HashlistRescan``)."""
    return HashGate(policy.hash_lists.sha256, policy.hash_lists.pdq,
                    max_distance=policy.thresholds.pdq_max_distance)


def hashlist_rescan(services: Services, redis: RedisLike | None,
                    notices: ReviewNotices | None, *, consumer: str = ""
                    ) -> HashlistRescan | None:
    """The sweep of stored images and open cases after a hash list changed (a worker runs it
    as it starts): with Redis, a review queue and thread memory in Redis only."""
    if (redis is None or services.review is None or services.hashes is None
            or not isinstance(services.memory, RedisThreadMemory)):
        return None
    return HashlistRescan(redis, services.hashes, services.review, services.memory,
                          services.audit, services.policy, notices=notices,
                          cards=services.review_cards, consumer=consumer)


def open_hashlist_rescan(settings: Settings, redis: RedisLike, audit: AuditLog
                         ) -> HashlistRescan:
    """The same sweep for ``miru hashlist rescan``: new cases wait in the queue (no platform
    here), decisions reach the cards through the workers (``ReviewNotices``)."""
    policy = load_policy(settings.policy_file)
    review = open_review(settings, policy, redis, audit)
    memory = memory_store(settings, policy, redis)
    assert isinstance(memory, RedisThreadMemory)
    return HashlistRescan(redis, hash_gate(policy), review, memory, audit, policy,
                          notices=ReviewNotices(review), consumer="cli")


def open_ledger(settings: Settings, policy: PolicyConfig, redis: RedisLike,
                clock: Clock = SYSTEM_CLOCK) -> tuple[Ledger, ReceiptImages]:
    """Expense ledgers and their receipt images (encrypted under the quarantine key), both
    kept for the policy's ``retention.ledger_days``."""
    ttl_s = int(policy.retention.ledger_days * DAY_S)
    images = ReceiptImages(redis, multi_fernet(quarantine_key(settings).value), ttl_s=ttl_s)
    return Ledger(redis, ttl_s=ttl_s, clock=clock.now), images


def evidence_keeper(services: Services) -> EvidenceKeeper:
    """The one place that keeps evidence and opens cases (``bot.review.keep``), over the
    bundle's review queue, local quarantine and card poster."""
    return EvidenceKeeper(services.review, services.quarantine, services.review_cards)


def open_evidence_keeper(settings: Settings, policy: PolicyConfig, audit: AuditLog,
                         redis: RedisLike | None) -> EvidenceKeeper:
    """The same keeper for the command line's screening (``miru screen``, ``miru receipt``):
    the shared review queue when Redis answers (``redis``), the local quarantine folder
    otherwise; no cards (no platform here: cases wait for ``miru review list``)."""
    review = open_review(settings, policy, redis, audit) if redis is not None else None
    return EvidenceKeeper(review, open_quarantine(settings, policy.retention), no_cards)


def build_screening(settings: Settings) -> tuple[Ingestor, ScreenerLike, PolicyConfig]:
    """Only what a verdict needs (``miru screen`` stops there): ingestor, screener, policy."""
    from safety.build import build_screener  # loads onnxruntime and NudeNet: only when used

    policy = load_policy(settings.policy_file)
    return (Ingestor(IngestLimits.from_settings(settings)), build_screener(settings, policy),
            policy)


def memory_store(settings: Settings, policy: PolicyConfig, redis: RedisLike | None,
                 clock: Clock = SYSTEM_CLOCK) -> ThreadMemory:
    """Thread memory with the policy's retention: in Redis, or in this process."""
    turn_ttl_s = int(policy.retention.turns_days * DAY_S)
    image_ttl_s = int(policy.retention.images_days * DAY_S)
    if redis is None:
        return MemoryThreadMemory(turn_ttl_s=turn_ttl_s, image_ttl_s=image_ttl_s,
                                  max_turns=settings.max_turns,
                                  max_image_bytes=settings.max_thread_image_bytes,
                                  clock=clock.monotonic)
    return RedisThreadMemory(redis, turn_ttl_s=turn_ttl_s, image_ttl_s=image_ttl_s,
                             max_turns=settings.max_turns,
                             max_image_bytes=settings.max_thread_image_bytes)


def state_store(redis: RedisLike | None, consumer: str, clock: Clock = SYSTEM_CLOCK
                ) -> StateStore:
    """Preferences, pending consents, reply claims: in Redis (claims named for ``consumer``),
    or in this process."""
    if redis is None:
        return MemoryStateStore(clock=clock.monotonic)
    return RedisStateStore(redis, holder=consumer)


def one_shot_memory(settings: Settings, clock: Clock = SYSTEM_CLOCK
                    ) -> Callable[[], ThreadMemory]:
    """A fresh in-process thread memory per call: an API request is one turn, as ``miru ask``
    is, and leaves no thread behind."""
    def make() -> ThreadMemory:
        return MemoryThreadMemory(max_turns=settings.max_turns,
                                  max_image_bytes=settings.max_thread_image_bytes,
                                  clock=clock.monotonic)

    return make


def pil(img: Image) -> PILImage.Image:
    return PILImage.open(io.BytesIO(img.data)).convert("RGB")


def ocr_context_for(ocr: Ocr) -> Callable[[Image, str], str]:
    """The OCR context a vision model gets for an image. The text in an image need not be in
    the question's language, so it is read with "auto"; a receipt in layout order, each label
    with its amount (``bot.receipts.context``)."""
    def read(img: Image, _lang: str) -> str:
        return ocr_context(ocr, pil(img))

    return read


def pil_receipt_reader(ocr: Ocr) -> Callable[[PILImage.Image], Receipt]:
    """For the OCR-only engine: a receipt's fields from an image it has opened."""
    def read(image: PILImage.Image) -> Receipt:
        return read_receipt(image, ocr=ocr)

    return read


def ocr_frame_for(ocr: Ocr) -> Callable[[DecodedImage], str]:
    """The text in a fresh image's first screening frame (``ocr_context_for``'s reading, before
    the image is processed: stage 2 runs only for allowed images)."""
    def read(image: DecodedImage) -> str:
        return ocr_context(ocr, PILImage.fromarray(image.frames[0])).strip()

    return read


def build_ocr(settings: Settings) -> OcrReader:
    """The OCR reader every worker uses: RapidOCR with ``MIRU_OCR_THREADS`` onnxruntime intra-op
    threads (Tesseract, a subprocess, follows the environment's ``OMP_THREAD_LIMIT``)."""
    return OcrReader(rapid_engine=RapidEngine(threads=settings.ocr_threads))


def receipt_reader(ocr: Ocr) -> Callable[[Image], Receipt]:
    """An allowed (processed) image's receipt fields, read with the app's OCR reader."""
    def read(img: Image) -> Receipt:
        return read_receipt(pil(img), ocr=ocr)

    return read


MODEL_ENGINES = ("openai", "transformers")  # engines that can answer a constrained question


def model_checks(settings: Settings, engine: Engine
                 ) -> tuple[AgeStage | None, ReceiptOpinions | None]:
    """The age signal's second stage and the receipts' second opinion, over the app's own
    engine: only where it is a vision-language model (not the OCR fallback) and
    ``MIRU_VLM_CHECKS`` is on; otherwise neither (the grammar and the OCR reader decide)."""
    if not settings.vlm_checks or engine.name not in MODEL_ENGINES:
        return None, None
    timeout_s = settings.vlm_check_timeout_s
    return (AgeStage(engine, timeout_s=timeout_s),
            ReceiptOpinions(engine, timeout_s=timeout_s))


def receipt_opinion_for(settings: Settings
                        ) -> tuple[ReceiptOpinions | None, Engine | None]:
    """``miru receipt``'s second opinion, as ``build_app`` wires it (``build_engine``, then
    ``model_checks``), and the engine under it for the caller to close. Without a model
    configured (``MIRU_VLM_CHECKS`` off, or the OCR backend) nothing is built: (None, None); a
    model that cannot load falls back to OCR as the app does, and then there is no opinion."""
    if not settings.vlm_checks or settings.vlm_backend not in MODEL_ENGINES:
        return None, None
    engine = build_engine(settings,
                          ocr_engine_factory=lambda: OcrEngine(build_ocr(settings))).engine
    return model_checks(settings, engine)[1], engine


def quality(img: Image) -> list[QualityHint]:
    return assess(pil(img))


def pipeline_for(services: Services) -> Pipeline:
    """A pipeline over ``services``, with its shared steps, the users' account and the
    expense-thread branch built on them."""
    steps = Steps(services, evidence_keeper(services))
    return Pipeline(services, steps=steps, account=Account(services),
                    receipts=ReceiptThreads(steps))
