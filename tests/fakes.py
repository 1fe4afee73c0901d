"""One fake per port, for every test tier: pass them to ``bot.app.build_app`` (``screener=``,
``ocr=``, ``engine=``, ``ingestor=``, ``clock=``, ``review_cards=``, ``directories=``), never
patch them in.

- ``FakeScreener``: the real ``safety.screener.Screener`` (hash lists from the policy, the real
  policy, gate errors held) around one scripted gate whose findings each test sets with
  ``sees`` (``Finding`` objects from ``safety.types``: no image ever carries what they say).
- ``FakeOcr``: the ``bot.vision.ocr_words.Ocr`` port with given text and word boxes.
- ``CountingEngine``: a vision model stand-in that records every request and answers with what
  it was given (or fails as told).
- ``FakeClock``: ``bot.ports.Clock`` that moves only when the test says so.
- ``FakePlatform`` / ``FakeConversation``: a platform adapter that serves given files and
  records what was posted, streamed and shown; ``FakeDirectory``: a member directory;
  ``FakeQueue``: ``JobQueue.enqueue`` in a list; ``RecordingCards``: the review-card poster.
- ``InThreadIngestor``: the real ingest (decoder tasks, limits, refusals) run in a thread
  instead of the decoder processes, for tiers that start no process.
- ``job_queue``: a real ``JobQueue`` under a test's own key base (the ``stream`` fixture).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image as PILImage

from bot.errors import DeliveryFailed, FetchError, StoreUnavailable
from bot.imaging import ingest as ingest_module
from bot.imaging.ingest import Ingestor, check_size
from bot.jobs.queue import JobQueue
from bot.models import Answer, AnswerRequest, ImageRef, IncomingMessage, Reply, Status
from bot.ports import PlatformInfo
from bot.review.model import Case
from bot.stores.redis_base import RedisLike
from bot.vision.ocr_words import OcrResult, Word
from config.policy import PolicyConfig
from safety.hashlist import HashGate
from safety.screener import Screener
from safety.types import DecodedImage, Finding, GateResult, ScreenContext, Verdict

# -- the screener ---------------------------------------------------------------------------


class ScriptedGate:
    """A pixel gate (``safety.screener.PixelGate``) that reports what the test set: findings
    for every image (``every``) and per image index (``per_image``), or raises ``error``."""

    name = "scripted"
    version = "scripted-1"

    def __init__(self) -> None:
        self.every: tuple[Finding, ...] = ()
        self.per_image: dict[int, tuple[Finding, ...]] = {}
        self.scores: dict[str, float] = {}
        self.error: BaseException | None = None
        self.delay_s = 0.0  # a gate that takes this long (past the screener's timeout: held)
        self.calls: list[int] = []  # the image indices it was run on

    def run(self, image: DecodedImage) -> GateResult:
        self.calls.append(image.index)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        found = [replace(f, image_index=image.index) for f in self.every]
        found += self.per_image.get(image.index, ())
        return GateResult(self.name, tuple(found), dict(self.scores), self.version)


class FakeScreener:
    """The screener port (``bot.services.ScreenerLike``) on the real ``Screener``: the hash
    gate over the policy's lists runs first (a listed image's bytes match for real), then the
    scripted gate; the real policy turns their findings into the verdict.

    ``sees(*findings)`` sets what the scripted gate reports for every image (each finding's
    ``image_index`` set to the image's), ``sees(..., image=n)`` for image ``n`` only;
    ``fails(exc)`` makes it raise (a gate error: the policy holds). ``screened`` counts the
    requests screened, ``gate.calls`` the images."""

    def __init__(self, policy: PolicyConfig | None = None, *, timeout_s: float = 5.0) -> None:
        self.policy = policy or PolicyConfig()
        self.gate = ScriptedGate()
        hashes = HashGate(self.policy.hash_lists.sha256, self.policy.hash_lists.pdq,
                          max_distance=self.policy.thresholds.pdq_max_distance)
        self.screener = Screener(self.policy, hashes=hashes, detectors=(self.gate,), age=None,
                                 timeout_s=timeout_s)
        self.screened = 0
        self.contexts: list[ScreenContext] = []

    def sees(self, *findings: Finding, image: int | None = None,
             scores: dict[str, float] | None = None) -> FakeScreener:
        if image is None:
            self.gate.every = tuple(findings)
        else:
            self.gate.per_image[image] = tuple(replace(f, image_index=image) for f in findings)
        if scores is not None:
            self.gate.scores = dict(scores)
        return self

    def fails(self, error: BaseException | None = None) -> FakeScreener:
        self.gate.error = error or RuntimeError("scripted gate failure")
        return self

    def hangs(self, seconds: float) -> FakeScreener:
        """The gate takes ``seconds`` (the screener times it out at its ``timeout_s``)."""
        self.gate.delay_s = seconds
        return self

    def clean(self) -> FakeScreener:
        """Nothing found from now on, no failure."""
        self.gate.every, self.gate.per_image, self.gate.error = (), {}, None
        return self

    async def screen(self, images: Sequence[DecodedImage], ctx: ScreenContext) -> Verdict:
        self.screened += 1
        self.contexts.append(ctx)
        return await self.screener.screen(images, ctx)


def face(score: float = 0.9, box: tuple[float, float, float, float] = (0.2, 0.2, 0.5, 0.6)
         ) -> Finding:
    """A face as NudeNet's face classes report it."""
    return Finding("face", "nudenet", score, "FACE_FEMALE", box)


def exposed(score: float = 0.9) -> Finding:
    """Sexual exposure above the default ``exposed_block`` (a block, or a hold where adult)."""
    return Finding("nudity_exposed", "nudenet", score, "BUTTOCKS_EXPOSED",
                   (0.1, 0.1, 0.4, 0.4))


def covered(score: float = 0.5) -> Finding:
    """A covered intimate class: a sexual signal, not exposure."""
    return Finding("nudity_covered", "nudenet", score, "BUTTOCKS_COVERED", (0.1, 0.1, 0.4, 0.4))


def nsfw(score: float) -> Finding:
    return Finding("nsfw_score", "open_nsfw", score)


def minor_age(age: float = 12.0) -> Finding:
    return Finding("minor_age_estimate", "age", age, "age")


def hash_listed(name: str = "operator") -> Finding:
    return Finding("hash_match", "hashlist", None, name)


# -- OCR, engine, clock ---------------------------------------------------------------------


@dataclass
class FakeOcr:
    """``bot.vision.ocr_words.Ocr`` with given text and word boxes; counts its reads.
    ``error``: raised by every read (an ``EngineError`` is what the port may raise)."""

    text: str = ""
    boxes: list[Word] = field(default_factory=list)
    reads: int = 0
    model_id: str = "fake-ocr"
    error: BaseException | None = None

    def read(self, image: Any, lang: str = "auto") -> OcrResult:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return OcrResult(self.text, "fake", "en", 1.0, 0.0)

    def words(self, image: Any, lang: str = "ja") -> list[Word]:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return list(self.boxes)


def saw_and_asked(request: AnswerRequest) -> str:
    return f"saw {len(request.images)} image(s); asked: {request.question}"


def i_see(request: AnswerRequest) -> str:
    return f"I see {len(request.images)} image(s)."


class CountingEngine:
    """A vision model stand-in where counting calls is the point of the test: it records every
    request it is asked (once per request, streamed or not) and answers with ``say(request)``.
    ``fail``: raised instead of answering (``after_text``: after the first half of the text
    was streamed, as a stream that breaks mid-answer)."""

    name = "counting"
    model_id = "counting-engine"

    def __init__(self, say: Callable[[AnswerRequest], str] = saw_and_asked, *,
                 fail: BaseException | None = None, after_text: bool = False) -> None:
        self.say = say
        self.fail = fail
        self.after_text = after_text
        self.requests: list[AnswerRequest] = []
        self.closed = False

    async def answer(self, request: AnswerRequest) -> Answer:
        self.requests.append(request)
        if self.fail is not None:
            raise self.fail
        return Answer(text=self.say(request), engine=self.name, model=self.model_id)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        text = self.say(request)
        if self.fail is not None and not self.after_text:
            raise self.fail
        yield text[: len(text) // 2]
        if self.fail is not None:
            raise self.fail
        yield text

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeClock:
    """``bot.ports.Clock`` that moves only when the test says so. Where a bare
    ``() -> float`` clock is wanted (throttles, TTLs, refusal windows), pass ``clock.now`` or
    ``clock.monotonic``."""

    t: float = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    m: float = 1_000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.m

    def advance(self, seconds: float) -> None:
        """Both clocks move forward by ``seconds``."""
        self.t += seconds
        self.m += seconds

    def set(self, now: float) -> None:
        """The wall clock jumps to ``now``; the monotonic clock moves by the same step."""
        self.advance(now - self.t)


# -- platform ---------------------------------------------------------------------------------


@dataclass
class FakeConversation:
    """One message's link to ``platform`` (``bot.ports.Conversation``): files come from
    ``platform.files`` by name, and every post, partial and status is recorded there."""

    message: IncomingMessage
    platform: FakePlatform

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        self.platform.fetched.append(ref.name)
        data = self.platform.files.get(ref.name)
        if data is None:
            raise FetchError(f"{ref.name}: not served")
        check_size(len(data), max_bytes, ref.name)  # what adapters do with a download
        return data

    async def status(self, status: Status) -> None:
        self.platform.statuses.append((self.message.message_id, status))

    async def partial(self, text: str) -> None:
        self.platform.partials.append(text)

    async def reply(self, reply: Reply) -> None:
        self.platform.attempts.append(reply)
        if self.platform.refuse > 0:
            self.platform.refuse -= 1
            raise DeliveryFailed("channel_not_found" if not self.platform.retryable
                                 else "ratelimited", retryable=self.platform.retryable)
        self.platform.replies.append(reply)


@dataclass
class FakePlatform:
    """``bot.ports.Platform`` that records what was posted (``replies``; ``attempts`` holds the
    refused ones too), streamed (``partials``) and shown (``statuses``), and serves ``files``
    by name. ``refuse``: how many posts it refuses next (``retryable`` or not)."""

    name: str = "slack"
    info: PlatformInfo = field(default_factory=lambda: PlatformInfo(
        "slack", "Slack", lambda m: f"https://chat.test/{m.channel}/{m.message_id}"))
    files: dict[str, bytes] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    attempts: list[Reply] = field(default_factory=list)
    partials: list[str] = field(default_factory=list)
    statuses: list[tuple[str, Status]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    refuse: int = 0
    retryable: bool = False

    def conversation(self, message: IncomingMessage) -> FakeConversation:
        return FakeConversation(message, self)

    def texts(self) -> list[str]:
        return [r.text for r in self.replies]


class FakeDirectory:
    """``bot.core.access.Directory``: given group members and workspace admins; counts its
    calls (``calls``); ``fail``: every call raises, like a Web API error."""

    def __init__(self, groups: dict[str, list[str]] | None = None,
                 admins: Iterable[str] = (), fail: bool = False) -> None:
        self.groups = groups or {}
        self.admins = set(admins)
        self.fail = fail
        self.calls: list[str] = []

    async def group_members(self, workspace: str, group: str) -> Sequence[str]:
        self.calls.append(f"group:{group}")
        if self.fail:
            raise RuntimeError("ratelimited")
        return self.groups.get(group, [])

    async def is_admin(self, workspace: str, user: str) -> bool:
        self.calls.append(f"admin:{user}")
        if self.fail:
            raise RuntimeError("ratelimited")
        return user in self.admins


class FakeQueue:
    """``JobQueue.enqueue`` in a list; ``down`` makes it fail as Redis does; ``gate`` holds
    each enqueue until set (to count submissions in flight)."""

    def __init__(self) -> None:
        self.jobs: list[IncomingMessage] = []
        self.down = False
        self.gate: asyncio.Event | None = None
        self.inflight = 0
        self.max_inflight = 0
        self.consumer = "fake"

    async def enqueue(self, message: IncomingMessage, *, attempts: int = 0) -> str:
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.down:
                raise StoreUnavailable("enqueue")
            self.jobs.append(message)
            return f"{len(self.jobs)}-0"
        finally:
            self.inflight -= 1


@dataclass
class RecordingCards:
    """The review-card poster port (``build_app(review_cards=...)``): records each new case;
    ``fail`` makes posting raise (the case stays in the queue either way)."""

    cases: list[Case] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, case: Case) -> None:
        if self.fail:
            raise ConnectionError("card not posted")
        self.cases.append(case)


class ReviewPlatform:
    """A platform adapter as the review desk sees it, named ``name`` so a case's notices
    reach it: cards are posted, uploaders told, and the Reveal copies a worker asks it to
    delete recorded in ``deleted``."""

    def __init__(self, name: str = "cli") -> None:
        self.name = name
        self.info = PlatformInfo(name)
        self.deleted: list[tuple[str, ...]] = []

    def conversation(self, message: Any) -> Any:  # pragma: no cover - not used by notices
        raise AssertionError("no conversation here")

    async def post_review_card(self, channel: str, case: Case, previews: Any) -> str:
        return "card-1"

    async def update_review_card(self, card: str, case: Case) -> None:
        return None

    async def tell_uploader(self, case: Case, text: str, *, delete: bool = False) -> None:
        return None

    async def withdraw_reveal(self, post: Any) -> None:
        self.deleted.append(post.ids)


# -- ingest, queue ----------------------------------------------------------------------------


class InThreadIngestor(Ingestor):
    """The real ``Ingestor`` (its checks and the decoder's tasks, limits and refusals), each
    task run in a thread instead of the decoder processes: for tiers that start no process.
    Production keeps the processes (memory and time limits a thread cannot enforce)."""

    async def _run(self, task: Any, *args: Any, name: str) -> Any:
        return ingest_module._unless_failed(await asyncio.to_thread(task, *args), name)

    async def start(self) -> None:
        return None


def job_queue(redis: RedisLike, base: str, consumer: str,
              platforms: Iterable[str] = ("slack",), **kw: Any) -> JobQueue:
    """A real ``JobQueue`` under a test's own key ``base`` (the ``stream`` fixture), group
    ``g``, serving ``platforms`` (none: a gateway's queue)."""
    return JobQueue(redis, base=base, group="g", consumer=consumer, platforms=tuple(platforms),
                    **kw)


# -- images -----------------------------------------------------------------------------------


def jpeg(width: int = 96, height: int = 64, *, seed: int = 0, quality: int = 85) -> bytes:
    """A small benign baseline JPEG (a colour gradient with noise; ``seed`` varies its bytes),
    decoded in-process by the ingestor."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1),
                     np.full_like(x, (seed * 37) % 256)], axis=-1)
    noise = rng.integers(0, 24, size=base.shape)
    array = np.clip(base + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(array, "RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()
