"""A review case: what was held or preserved, for whom, where, and what was decided."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.errors import CodecError
from bot.review.signals import AgeSignal, load_signals

# Where cases come from that no worker serves (no job stream is read, no thread to tell).
NO_WORKER_PLATFORMS = ("cli", "api")


class CaseStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"


class Decision(StrEnum):
    """What a moderator (or an operator on the command line) may decide."""

    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"

    @property
    def status(self) -> CaseStatus:
        return {Decision.APPROVE: CaseStatus.APPROVED, Decision.REJECT: CaseStatus.REJECTED,
                Decision.ESCALATE: CaseStatus.ESCALATED}[self]


@dataclass(frozen=True)
class Case:
    """One held or preserved request. ``evidence`` names the encrypted images in the quarantine;
    ``message`` is the original request (codec JSON) so an approval can continue it."""

    id: str
    action: str  # "hold" | "block_and_preserve"
    reasons: tuple[str, ...]
    scores: dict[str, float]
    created: float
    platform: str
    workspace: str
    channel: str
    thread: str
    message_id: str
    user: str  # the uploader's platform id (to tell them the outcome)
    link: str = ""
    request_id: str = ""
    language: str = "en"
    images: tuple[str, ...] = ()  # original SHA-256 of each image
    evidence: tuple[str, ...] = ()
    message: str = ""
    status: CaseStatus = CaseStatus.PENDING
    decided_by: str = ""  # the decider's display name (cards, the command line)
    decided_at: float = 0.0
    legal_hold: bool = False
    appealed: bool = False
    # A hash list named one of its items after it was opened (``bot.review.rescan``): treated
    # like a preserved item from then on (no preview, no Reveal), whatever its action was.
    hash_match: bool = False
    # who decided, as ``platform:user id`` (what the audit log pseudonymises); "" before
    decider: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def created_iso(self) -> str:
        return iso(self.created)

    @property
    def answerable(self) -> bool:
        """Whether a worker can answer the uploader: a chat platform's case. A case from the
        command line or the integration API (``NO_WORKER_PLATFORMS``) has no thread and no job
        stream that any worker serves: approving it only records the decision (the API's client
        reads it from ``GET /v1/cases`` or the ``case.decided`` webhook and sends again)."""
        return self.platform not in NO_WORKER_PLATFORMS

    @property
    def previewable(self) -> bool:
        """Only ``hold`` items ever show a (blurred) preview; preserved ones never do, nor a
        case a hash list named later."""
        return self.action == "hold" and not self.hash_match

    @property
    def pdq(self) -> tuple[tuple[str, ...], ...]:
        """Each item's PDQ hashes (rotations and flips of every frame), when they were kept."""
        return tuple(tuple(str(h) for h in item) for item in self.extra.get("pdq") or ())

    @property
    def signals(self) -> tuple[AgeSignal, ...]:
        """The verdict's minor signals, each with its source (``bot.review.signals``)."""
        return load_signals(self.extra.get("signals"))

    def summary(self) -> dict[str, Any]:
        """What ``miru review list --json`` prints for each case."""
        return {"id": self.id, "action": self.action, "reasons": list(self.reasons),
                "status": self.status.value, "created": self.created_iso,
                "platform": self.platform, "channel": self.channel, "link": self.link,
                "legal_hold": self.legal_hold, "decided_by": self.decided_by,
                "decided_at": iso(self.decided_at) if self.decided_at else None,
                "appealed": self.appealed, "hash_match": self.hash_match}


_STATE_FIELDS = ("status", "decided_by", "decided_at", "legal_hold", "appealed", "hash_match",
                 "decider")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def dump_case(case: Case) -> dict[Any, Any]:
    """The Redis hash of a case: its fixed part as ``data`` JSON, its state as fields."""
    fixed = {k: v for k, v in asdict(case).items() if k not in _STATE_FIELDS}
    return {"data": json.dumps(fixed, ensure_ascii=False), "status": case.status.value,
            "decided_by": case.decided_by, "decided_at": repr(case.decided_at),
            "legal_hold": "1" if case.legal_hold else "0",
            "appealed": "1" if case.appealed else "0",
            "hash_match": "1" if case.hash_match else "0", "decider": case.decider}


def load_case(raw: dict[Any, Any]) -> Case:
    h = {_s(k): _s(v) for k, v in raw.items()}
    try:
        fixed = json.loads(h["data"])
        fixed["reasons"] = tuple(fixed.get("reasons", ()))
        fixed["images"] = tuple(fixed.get("images", ()))
        fixed["evidence"] = tuple(fixed.get("evidence", ()))
        return Case(**fixed, status=CaseStatus(h.get("status", "pending")),
                    decided_by=h.get("decided_by", ""),
                    decided_at=float(h.get("decided_at") or 0.0),
                    legal_hold=h.get("legal_hold") == "1", appealed=h.get("appealed") == "1",
                    hash_match=h.get("hash_match") == "1", decider=h.get("decider", ""))
    except (KeyError, ValueError, TypeError) as exc:
        raise CodecError(f"unreadable review case: {type(exc).__name__}: {exc}") from None


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
