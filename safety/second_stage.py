"""The age signal's semantic second stage, as pure functions: which images a vision-language
model is asked about, and what its answer does to the verdict. The asking itself is I/O and
lives in ``bot/`` (``bot.core.age_stage``); ``safety/`` never calls a model.

A model's answer matters only where a minor signal would change the outcome: an image with a
sexual signal (an exposed or covered intimate class at or above ``sexual_signal``, open_nsfw at
or above ``nsfw_low``; this includes every upload held for review in an ``adult`` channel) and no
minor signal yet (none from the text or the channel, which count for every image, and none of
its own). Where a hash list matched, no model sees anything. Elsewhere the answer could change
nothing, so no model is asked.

- **yes**: a ``minor_model`` finding on that image (gate ``model``, the evidence as its label):
  a minor signal, so with the sexual signal ``block_and_preserve (minor_sexual)``, escalated.
- **no**: nothing changes (the score ``model_minor:<i>`` records 0).
- **no usable answer** (a timeout, an error, an unreadable answer): a ``model_error`` finding:
  ``hold`` (reason ``model_error``), never ``allow``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from config.policy import PolicyConfig, Thresholds
from safety.policy import REQUEST, combine, decide
from safety.types import Finding, ScreenContext, Verdict

GATE = "model"
MAX_EVIDENCE_CHARS = 300  # of the label a yes carries (the model's words or features)


@dataclass(frozen=True)
class ModelAnswer:
    """The model's answer for one image: ``minor`` None when there was no usable answer
    (``failure``: "timeout", "error" or "unreadable"); ``evidence``: the words or features it
    named; ``model``: which model answered; ``elapsed_ms``: how long the question took."""

    minor: bool | None
    evidence: tuple[str, ...] = ()
    failure: str = ""
    model: str = ""
    elapsed_ms: float = 0.0


def sexual_signal(findings: Sequence[Finding], t: Thresholds) -> bool:
    """The decision table's sexual signal on these findings."""
    def scored(code: str, at_least: float) -> bool:
        return any(f.code == code and (f.score or 0.0) >= at_least for f in findings)

    return (scored("nudity_exposed", t.sexual_signal) or scored("nudity_covered", t.sexual_signal)
            or scored("nsfw_score", t.nsfw_low))


def minor_signal(findings: Sequence[Finding], index: int) -> bool:
    """Whether image ``index`` already has a minor signal: its own, or the request's (any
    ``minor_*`` finding, whatever its source: text, turns, image text, channel, estimate)."""
    return any(f.code.startswith("minor_") and f.image_index in (REQUEST, index)
               for f in findings)


def question_targets(verdict: Verdict, policy: PolicyConfig) -> tuple[int, ...]:
    """The images a model's yes would change the outcome for (see the module docstring)."""
    if any(f.code == "hash_match" for f in verdict.findings):
        return ()
    indices = sorted({f.image_index for f in verdict.findings if f.image_index != REQUEST})
    return tuple(
        i for i in indices
        if sexual_signal([f for f in verdict.findings if f.image_index == i], policy.thresholds)
        and not minor_signal(verdict.findings, i)
    )


def answer_finding(index: int, answer: ModelAnswer) -> Finding | None:
    """The finding an answer adds to image ``index``: ``minor_model`` for yes, ``model_error``
    without a usable answer, none for no."""
    if answer.minor is None:
        return Finding("model_error", GATE, None, answer.failure or "error", image_index=index)
    if answer.minor:
        label = "; ".join(e.strip() for e in answer.evidence if e.strip())
        return Finding("minor_model", GATE, 1.0, label[:MAX_EVIDENCE_CHARS] or "yes",
                       image_index=index)
    return None


def apply_answers(verdict: Verdict, answers: Mapping[int, ModelAnswer], ctx: ScreenContext,
                  policy: PolicyConfig) -> Verdict:
    """``verdict`` with the model's answers: each image with a finding decided again from its
    own findings and the new one, combined with the rest (the strictest wins); the answers'
    scores (``model_minor:<i>``: 1 yes, 0 no), model and time recorded."""
    parts = [verdict]
    for index, answer in sorted(answers.items()):
        found = answer_finding(index, answer)
        if found is not None:
            own = [f for f in verdict.findings if f.image_index == index]
            parts.append(decide([*own, found], (), ctx, policy))
    combined = combine(parts)
    scores = dict(combined.scores)
    versions = dict(combined.model_versions)
    timings = dict(combined.timings_ms)
    for index, answer in answers.items():
        if answer.minor is not None:
            scores[f"model_minor:{index}"] = 1.0 if answer.minor else 0.0
        if answer.model:
            versions[GATE] = answer.model
        timings[GATE] = timings.get(GATE, 0.0) + answer.elapsed_ms
    return replace(combined, scores=scores, model_versions=versions, timings_ms=timings)
