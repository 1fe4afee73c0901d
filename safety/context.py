"""The text a request's minor cues are read from, and the cues found there, once per request.

A request is judged with every text that bears on it (issue 20): the message itself, the
thread's recent turns (what the uploader said before: "this is my 14 year old daughter", then
an image with "rate her"), and the text read from its images (a caption, a name tag). Each part
is read by ``safety.cues.find_minor_cues`` once, and every cue becomes a request-level
``minor_cue`` finding whose ``source`` says where it came from (``message``, ``turn`` or
``image_text``). The pipeline runs ``cue_findings`` in a worker thread, once per request, and
hands the findings to the policy in ``ScreenContext.cues``: no stored image re-reads the text.

Limits: the message is always read whole; earlier turns are read newest first up to
``MAX_TURN_CHARS`` in all, image texts up to ``MAX_IMAGE_TEXT_CHARS`` each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from safety.cues import CueList, find_minor_cues
from safety.types import REQUEST, Finding, SignalSource

MAX_TURN_CHARS = 60_000
MAX_IMAGE_TEXT_CHARS = 8_000
GATE = "cues"


@dataclass(frozen=True)
class TextPart:
    """One text the cues are read from, and where it came from."""

    source: SignalSource
    text: str


def text_parts(message: str, turns: Sequence[str] = (), image_texts: Iterable[str] = ()
               ) -> tuple[TextPart, ...]:
    """The parts of a request, in the order their cues are reported: the message, the earlier
    turns (oldest first, the newest kept within ``MAX_TURN_CHARS``), the images' text."""
    kept: list[str] = []
    budget = MAX_TURN_CHARS
    for turn in reversed(turns):
        if budget <= 0:
            break
        kept.append(turn[-budget:] if len(turn) > budget else turn)
        budget -= len(turn)
    parts = [TextPart("message", message)] if message.strip() else []
    parts += [TextPart("turn", t) for t in reversed(kept) if t.strip()]
    parts += [TextPart("image_text", t[:MAX_IMAGE_TEXT_CHARS]) for t in image_texts
              if t.strip()]
    return tuple(parts)


def cue_findings(parts: Iterable[TextPart], cues: CueList) -> tuple[Finding, ...]:
    """A request-level ``minor_cue`` finding per cue and source (a cue said twice in one
    source is reported once). CPU-bound: async callers use ``asyncio.to_thread``."""
    found: dict[tuple[str, str], Finding] = {}
    for part in parts:
        for cue in find_minor_cues(part.text, cues):
            found.setdefault((part.source, cue), Finding(
                "minor_cue", GATE, None, cue, image_index=REQUEST, source=part.source))
    return tuple(found.values())
