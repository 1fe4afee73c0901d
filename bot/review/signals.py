"""The age signals behind a case, for moderators: each with where it came from.

A case keeps every minor signal of its verdict (``Case.signals``): a cue in the message, in an
earlier turn of the thread or in text read from an image, the channel's audience, a face's age
estimate, a model's answer (``safety.types.SignalSource``). Review cards (Slack, Discord) and
``miru review show`` list them with ``signal_lines``.

What is kept is the cue as the matcher named it (``age:14``, ``school:中2``, a list word), never
the text around it, and at most ``MAX_LABEL`` characters of it and ``MAX_SIGNALS`` signals: the
uploader's words reach moderators no further than the signal itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot import strings
from safety.types import REQUEST, Finding, Verdict

MAX_LABEL = 40
MAX_SIGNALS = 20
MINOR_CODES = ("minor_cue", "minor_audience", "minor_age_estimate", "minor_model")
_DEFAULT_SOURCE = {"minor_cue": "message", "minor_audience": "channel",
                   "minor_age_estimate": "estimate", "minor_model": "model"}


@dataclass(frozen=True)
class AgeSignal:
    """One minor signal of a case: ``code`` (the finding's), ``source``, ``label`` (shortened),
    ``image`` (1-based, for an image's own signal; 0 for the whole request), ``score``."""

    code: str
    source: str
    label: str = ""
    image: int = 0
    score: float | None = None


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` in one line, at most ``limit`` characters (an ellipsis where it was cut)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def is_age_signal(finding: Finding) -> bool:
    return finding.code in MINOR_CODES or (finding.code.startswith("minor")
                                            and finding.source is not None)


def age_signals(verdict: Verdict) -> tuple[AgeSignal, ...]:
    """Every minor signal of ``verdict`` (each once), at most ``MAX_SIGNALS``."""
    found: dict[AgeSignal, None] = {}
    for f in verdict.findings:
        if not is_age_signal(f):
            continue
        source = f.source or _DEFAULT_SOURCE.get(f.code, "model")
        label = f"{f.score:.0f}" if f.code == "minor_age_estimate" and f.score else f.label
        found.setdefault(AgeSignal(f.code, source, shorten(label),
                                   0 if f.image_index == REQUEST else f.image_index + 1,
                                   f.score), None)
    return tuple(found)[:MAX_SIGNALS]


def dump_signals(signals: tuple[AgeSignal, ...]) -> list[dict[str, Any]]:
    return [asdict(s) for s in signals]


def load_signals(raw: Any) -> tuple[AgeSignal, ...]:
    """Signals kept with a case (``Case.extra["signals"]``); anything unreadable is skipped."""
    out = []
    for item in raw if isinstance(raw, list) else ():
        try:
            out.append(AgeSignal(str(item["code"]), str(item["source"]),
                                 shorten(str(item.get("label", ""))), int(item.get("image", 0)),
                                 item.get("score")))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out[:MAX_SIGNALS])


def signal_line(signal: AgeSignal, lang: str = "en") -> str:
    """One signal for people: what it is, the cue, where it came from."""
    kind = (f"review.signal.{signal.code}" if signal.code in MINOR_CODES
            else "review.signal.other")
    source = f"review.source.{signal.source}"
    if source not in strings.MESSAGES:
        source = "review.source.model"
    return strings.t("review.signal_line", lang, signal=strings.t(kind, lang),
                     label=signal.label or "-",
                     source=strings.t(source, lang, image=signal.image))


def signal_lines(signals: tuple[AgeSignal, ...], lang: str = "en", *, limit: int = 8
                 ) -> list[str]:
    """Up to ``limit`` lines, then one line saying how many more there are."""
    lines = [signal_line(s, lang) for s in signals[:limit]]
    if len(signals) > limit:
        lines.append(strings.t("review.signals_more", lang, n=len(signals) - limit))
    return lines
