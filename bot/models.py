"""Typed values that cross module boundaries.

Everything between a platform adapter and the platform API speaks these types; raw platform
dicts never leave ``handlers/``. All are frozen: a value handed on is never changed behind the
receiver's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from config.policy import Audience
from safety.types import Action, Finding  # the safety vocabulary (safety/types.py)

PlatformName = Literal["slack", "discord", "cli", "api"]  # api: the integration API
Role = Literal["user", "assistant"]
AuditKind = Literal[
    "verdict", "answer", "rejected", "error", "engine_error", "delivery_failed", "privacy_op",
    "consent_requested", "consent", "stored_image_dropped", "unavailable", "forget", "history",
    "language",  # a user's /miru lang choice (the command, or the home view)
    "receipt", "receipt_edit", "receipt_approval", "receipt_export",
    "review_opened", "review_card", "review_decision", "review_stale", "review_refused",
    "review_reveal", "review_purge", "review_view", "appeal",
    "review_reveal_withdrawn",  # a Reveal's copy deleted as its case was decided or purged
    "quota_refused",
    "job_unserved",  # a job waited too long with no worker serving its platform (dead letters)
    "permission_denied", "permission_change",  # team permissions: refusals, /miru admin changes
    # the integration API: 401/403/429 answers (one per request in logs before issue 19, then a
    # summary per minute), keys created or revoked
    "api_refused", "api_refused_summary", "api_key",
]


CheckState = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class SetupCheck:
    """One check of the set-up (``miru doctor``, an admin's home view): what it found and,
    unless all is well, how to fix it. For operators and admins only, never a channel."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # ok, but worth a look (the fix is shown)

    @property
    def state(self) -> CheckState:
        return "fail" if not self.ok else "warn" if self.warn else "ok"


@dataclass(frozen=True)
class ImageRef:
    """Where an image can be fetched from; ``url`` is fetched only by its platform's fetcher."""

    name: str
    url: str = ""
    mimetype: str = ""
    size: int | None = None
    file_id: str = ""
    path: str = ""  # local file (command line)


@dataclass(frozen=True)
class ThreadKey:
    platform: PlatformName
    workspace: str
    channel: str
    thread: str

    def tag(self) -> str:
        """Stable id, used inside Redis keys (hash-tagged by ``bot.keys``)."""
        return f"{self.platform}:{self.workspace}:{self.channel}:{self.thread}"


@dataclass(frozen=True)
class IncomingMessage:
    """One user message, as every platform adapter translates it."""

    platform: PlatformName
    workspace: str
    channel: str
    thread: str  # thread root id; the message's own id when it starts a thread
    message_id: str
    user: str
    text: str
    images: tuple[ImageRef, ...] = ()
    event_id: str = ""
    is_dm: bool = False
    language: str | None = None  # explicit user or workspace setting; None: detect
    consent_confirmed: bool = False
    # What the platform itself says of the channel (Discord's age-restricted channels: ADULT);
    # the policy file's own entry for the channel wins over it (safety.policy.context_for).
    platform_audience: Audience | None = None
    # Set when a moderator approved this request's held images (the review case's id): the
    # pipeline lets a ``hold`` through for exactly the images the case holds.
    review_case: str = ""
    # The author's permission level (``config.policy.Level``), resolved once by the gateway so
    # workers enforce ``edit`` and ``share`` without asking the platform again. ``share`` for
    # anything not from a gateway (the command line) and for jobs queued before permissions.
    access: str = "share"
    # The author's name as the platform shows it, where the event says it ("" otherwise): kept
    # with receipts and approvals so reports name people as their team sees them.
    user_name: str = ""

    @property
    def thread_key(self) -> ThreadKey:
        return ThreadKey(self.platform, self.workspace, self.channel, self.thread)


@dataclass(frozen=True, eq=False)
class Image:
    """Ingest stage 2: the metadata-free image the engines get and the stores keep."""

    index: int
    data: bytes  # re-encoded, no EXIF/GPS/XMP/IPTC/ICC, nothing appended
    mime: str  # "image/jpeg" | "image/png"
    width: int
    height: int
    source_format: str
    original_sha256: str
    sha256: str  # of ``data``
    blurred: bool = False
    # Kept with the image in thread memory, so every later request that uses it is decided again
    # with its own text and the channel's current policy (``safety.policy.redecide``):
    findings: tuple[Finding, ...] = ()  # what the gates saw on it (image-level, not the text's)
    consent_confirmed: bool = False  # the uploader confirmed everyone shown agreed
    ocr_text: str = ""  # text read from it, for the engine's untrusted OCR block
    # Its original's PDQ hashes (every frame's 8 rotations/flips) and its uploader: every use
    # and the sweep after a hash list changed match it again against the lists as they are now
    # (``safety.hashlist.HashGate.match``); a match opens a case naming the uploader.
    pdq: tuple[str, ...] = ()
    uploader: str = ""


@dataclass(frozen=True)
class Turn:
    """One exchange in a thread's memory."""

    role: Role
    text: str
    image_ids: tuple[str, ...] = ()  # sha256 of processed images posted with this turn
    ts: float = 0.0


@dataclass(frozen=True)
class Answer:
    text: str
    engine: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime: str


class ReplyKind(StrEnum):
    ANSWER = "answer"
    BLOCKED = "blocked"
    HELD = "held"
    CONSENT = "consent"  # ask the uploader to confirm consent (buttons)
    REJECTED = "rejected"  # input could not be used as an image
    ERROR = "error"
    INFO = "info"


@dataclass(frozen=True)
class ReplyAction:
    """A button under a reply (``bot.core.actions``): ``label`` shown, ``style`` ("primary",
    "danger" or ""), ``value`` what the press carries back (at most ``actions.MAX_VALUE``
    characters); adapters render and decode, the core decides what a press does."""

    label: str
    value: str
    style: str = ""


@dataclass(frozen=True)
class Reply:
    """What the core asks a platform adapter to post."""

    kind: ReplyKind
    text: str
    thread: ThreadKey
    request_id: str
    action: Action | None = None
    attachments: tuple[Attachment, ...] = ()
    ephemeral_to: str = ""  # user id: show only to them (consent prompt)
    engine: str = ""
    actions: tuple[ReplyAction, ...] = ()  # buttons under the reply (receipt cards)


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log. Pseudonymous ids only; never image bytes or tokens."""

    kind: AuditKind
    request_id: str
    ts: float
    actor: str = ""  # HMAC of the platform user id
    platform: str = ""
    channel: str = ""
    thread: str = ""
    image_sha256: tuple[str, ...] = ()
    action: str = ""
    reasons: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerRequest:
    """What a vision engine is asked. Images are numbered 1..n in the order posted."""

    images: tuple[Image, ...]
    question: str
    history: tuple[Turn, ...] = ()
    language: str = "en"  # "ja" | "en"
    ocr_text: str = ""  # text read from the images: untrusted context, never instructions
    max_new_tokens: int | None = None
    system: str = ""  # a system prompt of its own (a constrained question); "" is Miru's
    json_schema: dict | None = None  # the answer's JSON Schema, for servers that enforce one


class Status(StrEnum):
    """Progress a platform shows on the user's message (Slack: reactions)."""

    RECEIVED = "received"
    ANSWERED = "answered"
    BLOCKED = "blocked"
    HELD = "held"
    FAILED = "failed"
