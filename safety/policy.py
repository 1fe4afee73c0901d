"""The decision table (DESIGN.md "Safety policy: fail closed"), as a pure function.

Findings, gate errors and the message's context in; one ``Verdict`` out; no I/O. Every rule that
fires adds a reason code; the action is the strictest, and ``reasons`` are ordered strictest first.

| rule | action | reason |
|---|---|---|
| hash-list match | block_and_preserve | hash_match |
| minor signal + sexual signal on the same image | block_and_preserve, escalated | minor_sexual |
| sexual exposure above threshold | block (hold in an adult channel) | sexual_exposure (…_review) |
| a gate raised, timed out, or the image has no pixels | hold | gate_error / decode_error |
| the model asked about an image gave no usable answer | hold | model_error |
| faces, consent ``require``, not confirmed | confirm | faces_consent_required |
| faces, consent ``require``, confirmed | allow | faces_consent_confirmed |
| faces, consent ``blur`` | allow_blurred | faces_blurred |
| faces, consent ``off`` | allow | faces |
| nothing of the above | allow | clean |

Minor signals: a cue in the text and the channel's ``minors`` audience (both apply to every image
of the request), an age estimate under the buffer and a model's yes (``minor_model``, the
second stage: ``safety/second_stage.py``) (their own image). Sexual signals: an exposed or
covered intimate class at or above ``sexual_signal``, open_nsfw at or above ``nsfw_low``. Sexual
exposure: an exposed class at or above ``exposed_block``, open_nsfw at or above ``nsfw_high``.
Request-level findings (``minor_cue``, ``minor_audience``) carry ``image_index`` -1 and a
``source``. The cues come from ``ScreenContext.cues`` when the caller found them (once per
request, over the message, the thread's recent turns and the images' text: ``safety.context``);
otherwise from ``ctx.text`` alone, as the message's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from config.policy import Audience, ConsentMode, PolicyConfig
from safety.context import cue_findings, text_parts
from safety.types import REQUEST, Action, Finding, ScreenContext, Verdict

_ERROR_CODES = {"gate_error": "gate_error", "decode_error": "decode_error",
                "model_error": "model_error"}
_IMAGE_MINOR = ("minor_age_estimate", "minor_model")  # minor signals of one image


def decide(
    findings: Sequence[Finding], errors: Sequence[str], ctx: ScreenContext, policy: PolicyConfig
) -> Verdict:
    """Turn what the gates saw into one verdict. ``errors``: one entry per failed gate run."""
    request = list(ctx.cues if ctx.cues is not None
                   else cue_findings(text_parts(ctx.text), policy.cues))
    if ctx.audience is Audience.MINORS:
        request.append(Finding("minor_audience", "channel", None, ctx.channel,
                               image_index=REQUEST, source="channel"))
    rules: list[tuple[Action, str]] = []
    escalated = False

    if any(f.code == "hash_match" for f in findings):
        rules.append((Action.BLOCK_AND_PRESERVE, "hash_match"))
    for index in sorted({f.image_index for f in findings}):
        mine = [f for f in findings if f.image_index == index]
        image_rules = _image_rules(mine, bool(request), ctx, policy)
        escalated = escalated or (Action.BLOCK_AND_PRESERVE, "minor_sexual") in image_rules
        rules.extend(image_rules)
    if errors:
        rules.append((Action.HOLD, "gate_error"))
    rules.extend((Action.HOLD, _ERROR_CODES[f.code]) for f in findings if f.code in _ERROR_CODES)
    if not rules:
        rules.append((Action.ALLOW, "clean"))

    rules.sort(key=lambda rule: -rule[0].severity)
    reasons = tuple(dict.fromkeys(reason for _, reason in rules))
    return Verdict(
        action=rules[0][0],
        reasons=reasons,
        findings=(*findings, *request),
        escalated=escalated,
    )


def _image_rules(
    findings: Sequence[Finding], request_minor: bool, ctx: ScreenContext, policy: PolicyConfig
) -> list[tuple[Action, str]]:
    t = policy.thresholds
    rules: list[tuple[Action, str]] = []

    def scored(code: str, at_least: float) -> bool:
        return any(f.code == code and (f.score or 0.0) >= at_least for f in findings)

    sexual = (
        scored("nudity_exposed", t.sexual_signal)
        or scored("nudity_covered", t.sexual_signal)
        or scored("nsfw_score", t.nsfw_low)
    )
    minor = request_minor or any(f.code in _IMAGE_MINOR for f in findings)
    if sexual and minor:
        rules.append((Action.BLOCK_AND_PRESERVE, "minor_sexual"))
    if scored("nudity_exposed", t.exposed_block) or scored("nsfw_score", t.nsfw_high):
        if ctx.audience is Audience.ADULT:
            rules.append((Action.HOLD, "sexual_exposure_review"))
        else:
            rules.append((Action.BLOCK, "sexual_exposure"))
    if any(f.code == "face" for f in findings):
        rules.append(_faces_rule(ctx))
    return rules


def _faces_rule(ctx: ScreenContext) -> tuple[Action, str]:
    if ctx.consent_mode is ConsentMode.REQUIRE:
        if ctx.consent_confirmed:
            return Action.ALLOW, "faces_consent_confirmed"
        return Action.CONFIRM, "faces_consent_required"
    if ctx.consent_mode is ConsentMode.BLUR:
        return Action.ALLOW_BLURRED, "faces_blurred"
    return Action.ALLOW, "faces"


def context_for(policy: PolicyConfig, channel: str, text: str, *,
                consent_confirmed: bool = False,
                platform_audience: Audience | None = None) -> ScreenContext:
    """What the policy needs to know about a message besides its pixels: its text, and the
    channel's audience and consent mode as the policy file says now.

    ``platform_audience`` is what the platform says of the channel (a Discord channel marked
    age-restricted: ``adult``). It counts only where the policy file has no entry of its own for
    the channel, and only to mark a ``general`` channel ``adult``: it never relaxes a ``minors``
    default, and an operator's explicit entry always wins."""
    entry = policy.channel(channel)
    audience = entry.audience
    if (channel not in policy.channels and platform_audience is Audience.ADULT
            and audience is Audience.GENERAL):
        audience = Audience.ADULT
    return ScreenContext(text=text, channel=channel, audience=audience,
                         consent_mode=entry.consent, consent_confirmed=consent_confirmed)


def combine(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict for a request made of several separately decided parts (fresh images, each
    stored image): the strictest action, every reason strictest first, findings, scores and
    versions merged. The request-level findings (the text's cues) appear once."""
    if not verdicts:
        raise ValueError("combine needs at least one verdict")
    ordered = sorted(verdicts, key=lambda v: -v.action.severity)
    reasons: dict[str, int] = {}
    for v in ordered:
        for reason in v.reasons:
            reasons.setdefault(reason, v.action.severity)
    findings = tuple(dict.fromkeys(f for v in verdicts for f in v.findings))
    return Verdict(
        action=ordered[0].action,
        reasons=tuple(sorted(reasons, key=lambda r: -reasons[r])),
        findings=findings,
        scores={k: s for v in verdicts for k, s in v.scores.items()},
        model_versions={k: s for v in verdicts for k, s in v.model_versions.items()},
        timings_ms={k: s for v in verdicts for k, s in v.timings_ms.items()},
        escalated=any(v.escalated for v in verdicts),
    )


def decide_again(verdict: Verdict, ctx: ScreenContext, policy: PolicyConfig) -> Verdict:
    """Decide a screened request again with more context (cues in the images' text, read
    after the gates): its image-level findings and gate errors with ``ctx``; its scores,
    versions and timings kept."""
    kept = [f for f in verdict.findings if f.image_index != REQUEST]
    errors = ("kept",) if "gate_error" in verdict.reasons else ()
    again = decide(kept, errors, ctx, policy)
    return replace(again, scores=dict(verdict.scores), model_versions=dict(verdict.model_versions),
                   timings_ms=dict(verdict.timings_ms))


def redecide(
    findings: Sequence[Finding], ctx: ScreenContext, policy: PolicyConfig, *,
    image_index: int, blurred: bool = False,
) -> Verdict:
    """Decide again for one stored image, from the findings kept with it, with this request's
    text and the channel's current policy (thresholds, audience, consent mode).

    ``image_index`` renumbers the kept findings for this request. Faces on an image stored
    ``blurred`` are already pixelated, so they no longer ask for blur or consent."""
    kept = [replace(f, image_index=image_index) for f in findings
            if f.image_index != REQUEST and not (blurred and f.code == "face")]
    return decide(kept, (), ctx, policy)
