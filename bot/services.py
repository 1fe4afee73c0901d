"""The collaborators a pipeline needs, in one typed bundle that ``bot.app.build_app`` fills.

Tests build the same bundle with other parts (a counting engine, a blocking screener); nothing
else constructs collaborators.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.models import Image, IncomingMessage
from bot.ops.metrics import Metrics
from bot.ports import SYSTEM_CLOCK, Clock, HashMatcher
from safety.types import DecodedImage, ScreenContext, Verdict

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.evidence.quarantine import Quarantine
    from bot.imaging.ingest import Ingestor
    from bot.imaging.quality import QualityHint
    from bot.receipts.images import ReceiptImages
    from bot.receipts.ledger import Ledger
    from bot.receipts.model import Receipt
    from bot.receipts.opinion import ReceiptOpinion
    from bot.review.model import Case
    from bot.review.service import Review
    from bot.stores.base import StateStore, ThreadMemory
    from bot.vision.base import Engine
    from config.policy import PolicyConfig
    from config.settings import Settings


class Admitted(Protocol):
    """What a quota check answers (``bot.core.quota.Admission``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def scope(self) -> str | None: ...

    @property
    def limit(self) -> int: ...

    @property
    def reset_at(self) -> datetime | None: ...


class StoredQuota(Protocol):
    """Counts the thread's stored images a request uses (``bot.core.quota.Quotas``)."""

    async def admit_stored(self, message: IncomingMessage, request_id: str, images: int,
                           now: float | None = None) -> Admitted: ...


class AgeStageLike(Protocol):
    """The age signal's second stage (``bot.core.age_stage.AgeStage``)."""

    async def __call__(self, msg: IncomingMessage, out: Any, verdict: Verdict,
                       ctx: ScreenContext, policy: PolicyConfig, memory: ThreadMemory
                       ) -> Verdict: ...

    async def screened(self, decoded: DecodedImage, text: str, verdict: Verdict,
                       ctx: ScreenContext, policy: PolicyConfig) -> Verdict: ...


class ScreenerLike(Protocol):
    async def screen(self, images: Sequence[DecodedImage], ctx: ScreenContext) -> Verdict: ...


async def no_cards(case: Case) -> None:
    """No platform to post review cards on (the command line): the case waits in the queue."""


@dataclass
class Services:
    settings: Settings
    policy: PolicyConfig
    ingestor: Ingestor
    screener: ScreenerLike
    engine: Engine
    audit: AuditLog
    memory: ThreadMemory
    state: StateStore
    quarantine: Quarantine
    privacy_op: Callable[[str], str | None]
    clean_image: Callable[..., bytes]
    quality: Callable[[Image], list[QualityHint]]
    ocr_context: Callable[[Image, str], str] | None = None
    # The text in a fresh image, read once from its screening frame after the hash lists let it
    # pass: the policy reads its cues, and the answer's OCR block reuses it
    ocr_frame: Callable[[DecodedImage], str] | None = None
    pending_ttl_s: int = 15 * 60
    delivery_wait_s: float = 1.0  # first back-off between tries of a reply the platform refused
    engine_note: str = ""
    ledger: Ledger | None = None  # expense threads (with Redis)
    read_receipt: Callable[[Image], Receipt] | None = None  # an allowed image's fields
    receipt_images: ReceiptImages | None = None  # expense ledgers' images, encrypted (Redis)
    review: Review | None = None  # the moderators' queue (with Redis)
    review_cards: Callable[[Case], Awaitable[None]] = no_cards  # post a case's card
    metrics: Metrics = field(default_factory=Metrics)  # this process's one registry
    # The hash lists every stored image is matched against again at each use (None: no lists)
    hashes: HashMatcher | None = None
    clock: Clock = SYSTEM_CLOCK  # time for stamps and quotas (build_app's ``clock=``)
    # The workspaces' quotas (with Redis): a request's stored images count against them too
    quotas: StoredQuota | None = None
    # The age signal's second stage (bot.core.age_stage.AgeStage): None without a model
    age_stage: AgeStageLike | None = None
    # A vision model's second reading of a receipt (bot.receipts.opinion): None without one
    receipt_opinion: Callable[..., Awaitable[ReceiptOpinion]] | None = None

