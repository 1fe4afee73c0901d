"""The texts a request's cues come from (``safety.context``), the policy deciding with cues found
once (``ScreenContext.cues``), and the age signals a case shows moderators
(``bot.review.signals``), with their limits."""

from __future__ import annotations

from dataclasses import replace

from bot.review.model import Case
from bot.review.signals import (
    MAX_LABEL,
    MAX_SIGNALS,
    AgeSignal,
    age_signals,
    dump_signals,
    load_signals,
    shorten,
    signal_lines,
)
from config.policy import Audience, PolicyConfig
from handlers.discord_review import card_embed
from handlers.slack_review import card_blocks
from safety.context import MAX_IMAGE_TEXT_CHARS, MAX_TURN_CHARS, cue_findings, text_parts
from safety.policy import decide, decide_again
from safety.types import REQUEST, Action, Finding, ScreenContext, Verdict

POLICY = PolicyConfig()
WEAK = Finding("nsfw_score", "open_nsfw", 0.3, "open_nsfw", image_index=0)


def test_parts_name_their_sources_in_order() -> None:
    parts = text_parts("rate her", ["this is my 14 year old daughter", "  "], ["MIA", ""])
    assert [(p.source, p.text) for p in parts] == [
        ("message", "rate her"), ("turn", "this is my 14 year old daughter"),
        ("image_text", "MIA")]


def test_turns_are_read_newest_first_within_their_limit_and_the_message_whole() -> None:
    old, new = "my son is 12 " + "x" * MAX_TURN_CHARS, "y" * (MAX_TURN_CHARS - 10)
    message = "z" * (MAX_TURN_CHARS * 2)
    parts = text_parts(message, [old, new])
    assert parts[0].text == message
    assert [len(p.text) for p in parts[1:]] == [10, MAX_TURN_CHARS - 10]
    assert sum(len(p.text) for p in parts if p.source == "turn") == MAX_TURN_CHARS
    assert len(text_parts("", [], ["t" * (MAX_IMAGE_TEXT_CHARS + 5)])[0].text) \
        == MAX_IMAGE_TEXT_CHARS


def test_each_cue_is_reported_once_per_source_as_a_request_finding() -> None:
    found = cue_findings(text_parts("she is 14", ["she is 14", "she is 14"], ["MIA, 14 YEARS OLD"]),
                         POLICY.cues)
    assert [(f.label, f.source, f.image_index) for f in found] == [
        ("age:14", "message", REQUEST), ("age:14", "turn", REQUEST),
        ("age:14", "image_text", REQUEST)]


def test_the_policy_decides_with_the_cues_it_is_given_not_the_text_again() -> None:
    turn = cue_findings(text_parts("", ["this is my 14 year old daughter"]), POLICY.cues)
    with_context = ScreenContext(text="rate her", cues=turn)
    assert decide([WEAK], (), with_context, POLICY).action is Action.BLOCK_AND_PRESERVE
    assert decide([WEAK], (), ScreenContext(text="rate her"), POLICY).action is Action.ALLOW
    # given cues win over the text: found once, they are not looked for again
    assert decide([WEAK], (), ScreenContext(text="she is 14", cues=()), POLICY).action \
        is Action.ALLOW


def test_a_minors_channel_is_a_signal_with_its_source() -> None:
    verdict = decide([WEAK], (), ScreenContext(channel="C1", audience=Audience.MINORS, cues=()),
                     POLICY)
    assert [(f.code, f.source) for f in verdict.findings if f.image_index == REQUEST] == [
        ("minor_audience", "channel")]


def test_deciding_again_with_image_text_keeps_errors_scores_and_versions() -> None:
    first = replace(decide([WEAK], ["nudenet:0: timeout"], ScreenContext(cues=()), POLICY),
                    scores={"open_nsfw:0": 0.3}, model_versions={"open_nsfw": "1"})
    assert first.action is Action.HOLD
    cues = cue_findings(text_parts("", (), ["MIA, 14 YEARS OLD"]), POLICY.cues)
    again = decide_again(first, ScreenContext(cues=cues), POLICY)
    assert again.action is Action.BLOCK_AND_PRESERVE and "gate_error" in again.reasons
    assert again.scores == first.scores and again.model_versions == first.model_versions


def _verdict(*findings: Finding) -> Verdict:
    return Verdict(Action.BLOCK_AND_PRESERVE, ("minor_sexual",), findings)


def test_age_signals_name_every_source_and_never_more_than_the_cue() -> None:
    long_label = "school:" + "中" * 100
    verdict = _verdict(
        WEAK,
        Finding("minor_cue", "cues", None, "age:14", image_index=REQUEST, source="turn"),
        Finding("minor_cue", "cues", None, long_label, image_index=REQUEST, source="message"),
        Finding("minor_cue", "cues", None, "age:12", image_index=REQUEST, source="image_text"),
        Finding("minor_age_estimate", "age", 16.4, "FACE_F", image_index=1, source="estimate"),
        Finding("minor_audience", "channel", None, "C1", image_index=REQUEST, source="channel"),
        Finding("minor_model", "model", 1.0, "school uniform", image_index=0))
    signals = age_signals(verdict)
    assert [(s.code, s.source) for s in signals] == [
        ("minor_cue", "turn"), ("minor_cue", "message"), ("minor_cue", "image_text"),
        ("minor_age_estimate", "estimate"), ("minor_audience", "channel"),
        ("minor_model", "model")]
    assert all(len(s.label) <= MAX_LABEL for s in signals)
    assert signals[1].label.endswith("…") and signals[3].label == "16"
    lines = signal_lines(signals)
    assert lines[0] == "minor cue “age:14” from an earlier turn"
    assert lines[2].endswith("from text in an image")
    assert lines[3] == "age estimate “16” from a face in image 2"
    assert lines[5] == "model's yes “school uniform” from the model's answer"


def test_signals_are_capped_and_round_trip_through_a_case() -> None:
    many = _verdict(*(Finding("minor_cue", "cues", None, f"age:{n}", image_index=REQUEST,
                              source="message") for n in range(MAX_SIGNALS + 5)))
    signals = age_signals(many)
    assert len(signals) == MAX_SIGNALS
    assert load_signals(dump_signals(signals)) == signals
    assert load_signals([{"code": "minor_cue"}, "junk", {"code": "x", "source": "turn",
                                                         "label": "y" * 500}]) == (
        AgeSignal("x", "turn", "y" * (MAX_LABEL - 1) + "…"),)
    assert load_signals(None) == ()
    lines = signal_lines(signals, limit=3)
    assert len(lines) == 4 and lines[-1] == f"… and {MAX_SIGNALS - 3} more"
    assert shorten("a\nb   c") == "a b c"


def _case(signals: tuple[AgeSignal, ...]) -> Case:
    return Case(id="c1", action="block_and_preserve", reasons=("minor_sexual",), scores={},
                created=1.0, platform="slack", workspace="T1", channel="C1", thread="1.0",
                message_id="1.0", user="U1", extra={"signals": dump_signals(signals)})


def test_cards_on_both_platforms_list_the_signals_within_their_limits() -> None:
    signals = tuple(AgeSignal("minor_cue", "turn", "a" * MAX_LABEL) for _ in range(MAX_SIGNALS))
    case = _case(signals)
    slack = [f["text"] for b in card_blocks(case) if b["type"] == "section"
             for f in b.get("fields", ())]
    field = next(f for f in slack if f.startswith("*Age signals*"))
    assert "from an earlier turn" in field and len(field) < 2000  # Slack's limit for a field
    discord = {f.name: f.value for f in card_embed(case).fields}
    assert "from an earlier turn" in discord["Age signals"]
    assert len(discord["Age signals"]) <= 1024  # Discord's limit for a field
    empty = {f.name: f.value for f in card_embed(_case(())).fields}
    assert empty["Age signals"] == "none"
