"""The safety vocabulary: what a gate saw, what the policy decided, and what it decided on.

These types belong to ``safety/`` (gates produce ``Finding``s and ``GateResult``s from a
``DecodedImage``, the policy turns them into a ``Verdict`` with an ``Action``); ``bot/`` imports
them from here. ``safety/`` imports only ``config/``, never ``bot/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np

from config.policy import Audience, ConsentMode

FindingCode = Literal[
    "hash_match", "nudity_exposed", "nudity_covered", "nsfw_score", "face", "minor_cue",
    "minor_audience", "minor_age_estimate", "gate_error", "decode_error",
    "minor_model", "model_error",  # the age signal's second stage (safety/second_stage.py)
]
SignalSource = Literal["message", "turn", "image_text", "channel", "estimate", "model"]
"""Where a minor signal came from: this message's text, an earlier turn of the thread, text read
from an image, the channel's audience, a face's age estimate, or a model's answer."""
Box = tuple[float, float, float, float]
REQUEST = -1
"""``Finding.image_index`` of a request-level finding (a cue in the text, the channel's
audience): it applies to every image of the request."""
"""A box as fractions of the image's width and height: (x0, y0, x1, y1), each in 0..1."""


class Action(StrEnum):
    """What the policy decided for a request (the strictest over all its images)."""

    ALLOW = "allow"
    ALLOW_BLURRED = "allow_blurred"
    CONFIRM = "confirm"  # faces in a consent-"require" channel: ask the uploader first
    HOLD = "hold"
    BLOCK = "block"
    BLOCK_AND_PRESERVE = "block_and_preserve"

    @property
    def reaches_model(self) -> bool:
        return self in (Action.ALLOW, Action.ALLOW_BLURRED)

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Action.ALLOW: 0,
    Action.ALLOW_BLURRED: 1,
    Action.CONFIRM: 2,
    Action.HOLD: 3,
    Action.BLOCK: 4,
    Action.BLOCK_AND_PRESERVE: 5,
}


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """Ingest stage 1: what the safety gates look at.

    ``frames`` are RGB uint8 arrays (H, W, 3) at screening scale (long edge <= the screening size),
    the first frame first; every frame of an animation up to the cap is included.
    """

    index: int
    source_format: str  # "jpeg" | "png" | "webp" | "gif" | "heif"
    width: int  # original size
    height: int
    original_sha256: str
    frames: tuple[np.ndarray, ...]
    frame_count: int  # frames in the file (may exceed len(frames) when capped)
    pdq: str = ""  # hex, of the first frame
    pdq_quality: int = 0
    # PDQ (hex) of the 8 rotations/flips of every frame (``safety.hashlist.dihedral_hex``): the
    # hash gate matches these, and they are kept with a stored image to match it again later
    pdq_variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One signal a gate saw. Policy turns findings into a verdict; findings are always reported."""

    code: FindingCode
    gate: str
    score: float | None = None
    label: str = ""  # e.g. the NudeNet class, the cue matched, the list name
    box: Box | None = None
    image_index: int = 0
    frame: int = 0  # which frame of an animation the signal came from
    source: SignalSource | None = None  # for minor signals: where it came from (``SignalSource``)


@dataclass(frozen=True)
class GateResult:
    gate: str
    findings: tuple[Finding, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    model_version: str = ""
    elapsed_ms: float = 0.0
    error: str | None = None  # set when the gate raised or timed out: the policy holds


@dataclass(frozen=True)
class ScreenContext:
    """What the policy knows besides the pixels."""

    text: str = ""
    channel: str = ""
    audience: Audience = Audience.GENERAL
    consent_mode: ConsentMode = ConsentMode.OFF
    consent_confirmed: bool = False
    # The text's minor cues, found once per request over every text that matters (the message,
    # the thread's recent turns, text read from the images: ``safety.context``), each with its
    # ``source``. None: not computed, and the policy reads ``text`` alone (a one-shot screen).
    cues: tuple[Finding, ...] | None = None


@dataclass(frozen=True)
class Verdict:
    action: Action
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    model_versions: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    escalated: bool = False

    def faces(self, image_index: int) -> tuple[Box, ...]:
        return tuple(
            f.box for f in self.findings
            if f.code == "face" and f.image_index == image_index and f.box is not None
        )
