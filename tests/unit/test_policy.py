"""The decision table and the policy file. Findings are built directly: no imagery at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.errors import ConfigError
from config.policy import Audience, ConsentMode, PolicyConfig, load_policy
from config.settings import DEFAULT_POLICY_FILE
from safety.policy import context_for, decide
from safety.types import Action, Finding, ScreenContext

POLICY = PolicyConfig()
GENERAL = ScreenContext(channel="C1")


def f(code: str, score: float | None = None, label: str = "", index: int = 0) -> Finding:
    box = (0.1, 0.1, 0.3, 0.3) if code == "face" else None
    return Finding(code, "test", score, label, box, image_index=index)


EXPOSED = f("nudity_exposed", 0.9, "FEMALE_BREAST_EXPOSED")
COVERED = f("nudity_covered", 0.6, "FEMALE_BREAST_COVERED")
NSFW_LOW = f("nsfw_score", 0.01)
NSFW_MID = f("nsfw_score", 0.4)
NSFW_HIGH = f("nsfw_score", 0.95)
FACE = f("face", 0.8, "FACE_FEMALE")
YOUNG = f("minor_age_estimate", 16.0, "FACE_FEMALE")
HASH = f("hash_match", 0.0, "sha256:list")

TABLE = [
    # (findings, errors, context, action, first reason, escalated)
    ([NSFW_LOW], [], GENERAL, Action.ALLOW, "clean", False),
    ([NSFW_MID], [], GENERAL, Action.ALLOW, "clean", False),
    ([HASH, NSFW_LOW], [], GENERAL, Action.BLOCK_AND_PRESERVE, "hash_match", False),
    ([HASH], ["nudity:0: timeout"], GENERAL, Action.BLOCK_AND_PRESERVE, "hash_match", False),
    ([EXPOSED, NSFW_LOW], [], GENERAL, Action.BLOCK, "sexual_exposure", False),
    ([NSFW_HIGH], [], GENERAL, Action.BLOCK, "sexual_exposure", False),
    ([EXPOSED, NSFW_LOW], [], ScreenContext(audience=Audience.ADULT), Action.HOLD,
     "sexual_exposure_review", False),
    ([COVERED, NSFW_LOW], [], GENERAL, Action.ALLOW, "clean", False),
    ([COVERED, NSFW_LOW], [], ScreenContext(text="JKです"), Action.BLOCK_AND_PRESERVE,
     "minor_sexual", True),
    ([NSFW_MID], [], ScreenContext(audience=Audience.MINORS), Action.BLOCK_AND_PRESERVE,
     "minor_sexual", True),
    ([COVERED, FACE, YOUNG, NSFW_LOW], [], GENERAL, Action.BLOCK_AND_PRESERVE, "minor_sexual",
     True),
    ([EXPOSED, FACE, YOUNG, NSFW_HIGH], [], ScreenContext(audience=Audience.ADULT),
     Action.BLOCK_AND_PRESERVE, "minor_sexual", True),
    ([FACE, YOUNG, NSFW_LOW], [], GENERAL, Action.ALLOW, "faces", False),
    ([NSFW_LOW], [], ScreenContext(text="my 14歳 cousin's drawing"), Action.ALLOW, "clean",
     False),
    ([NSFW_LOW], ["nudity:0: timeout"], GENERAL, Action.HOLD, "gate_error", False),
    ([FACE, NSFW_LOW], ["age:0: ValueError"], ScreenContext(consent_mode=ConsentMode.BLUR),
     Action.HOLD, "gate_error", False),
    ([f("decode_error")], [], GENERAL, Action.HOLD, "decode_error", False),
    ([FACE, NSFW_LOW], [], ScreenContext(consent_mode=ConsentMode.REQUIRE), Action.CONFIRM,
     "faces_consent_required", False),
    ([FACE, NSFW_LOW], [], ScreenContext(consent_mode=ConsentMode.REQUIRE,
                                         consent_confirmed=True),
     Action.ALLOW, "faces_consent_confirmed", False),
    ([FACE, NSFW_LOW], [], ScreenContext(consent_mode=ConsentMode.BLUR), Action.ALLOW_BLURRED,
     "faces_blurred", False),
    ([FACE, NSFW_LOW], [], ScreenContext(consent_mode=ConsentMode.OFF), Action.ALLOW, "faces",
     False),
    ([FACE, EXPOSED, NSFW_LOW], [], ScreenContext(consent_mode=ConsentMode.BLUR), Action.BLOCK,
     "sexual_exposure", False),
]


@pytest.mark.parametrize(("findings", "errors", "ctx", "action", "reason", "escalated"), TABLE)
def test_decision_table(findings, errors, ctx, action, reason, escalated):
    verdict = decide(findings, errors, ctx, POLICY)
    assert verdict.action is action
    assert verdict.reasons[0] == reason
    assert verdict.escalated is escalated


def test_age_estimate_only_counts_for_its_own_image():
    findings = [f("face", 0.8, index=0), f("minor_age_estimate", 15.0, index=0),
                f("nsfw_score", 0.01, index=0), replace(COVERED, image_index=1),
                f("nsfw_score", 0.01, index=1)]
    verdict = decide(findings, [], ScreenContext(consent_mode=ConsentMode.BLUR), POLICY)
    assert verdict.action is Action.ALLOW_BLURRED
    assert not verdict.escalated


def test_text_cue_applies_to_every_image_and_is_reported():
    findings = [f("nsfw_score", 0.01, index=0), f("nsfw_score", 0.5, index=1)]
    verdict = decide(findings, [], ScreenContext(text="中学生"), POLICY)
    assert verdict.action is Action.BLOCK_AND_PRESERVE and verdict.escalated
    cues = [x for x in verdict.findings if x.code == "minor_cue"]
    assert [c.label for c in cues] == ["中学生"]
    assert cues[0].image_index == -1


def test_reasons_are_strictest_first_and_findings_kept():
    findings = [FACE, EXPOSED, NSFW_LOW]
    verdict = decide(findings, ["nsfw:0: timeout"], ScreenContext(consent_mode=ConsentMode.BLUR),
                     POLICY)
    assert verdict.reasons == ("sexual_exposure", "gate_error", "faces_blurred")
    assert set(findings) <= set(verdict.findings)


def test_thresholds_come_from_the_policy():
    strict = PolicyConfig.model_validate({"thresholds": {"nsfw_low": 0.1, "nsfw_high": 0.3}})
    assert decide([f("nsfw_score", 0.35)], [], GENERAL, strict).action is Action.BLOCK
    assert decide([f("nsfw_score", 0.35)], [], GENERAL, POLICY).action is Action.ALLOW


_CODES = st.sampled_from([EXPOSED, COVERED, NSFW_LOW, NSFW_MID, NSFW_HIGH, FACE, YOUNG, HASH,
                          f("decode_error")])
_CONTEXTS = st.builds(
    ScreenContext,
    text=st.sampled_from(["", "what is this?", "JK", "15yo"]),
    audience=st.sampled_from(list(Audience)),
    consent_mode=st.sampled_from(list(ConsentMode)),
    consent_confirmed=st.booleans(),
)


@given(st.lists(_CODES, max_size=6), st.lists(_CODES, max_size=3), _CONTEXTS,
       st.lists(st.just("gate:0: boom"), max_size=1))
def test_more_findings_never_make_the_verdict_milder(base, extra, ctx, errors):
    before = decide(base, errors, ctx, POLICY)
    after = decide(base + extra, errors, ctx, POLICY)
    assert after.action.severity >= before.action.severity


@given(st.lists(_CODES, max_size=6), _CONTEXTS)
def test_a_gate_error_never_reaches_a_model(findings, ctx):
    verdict = decide(findings, ["nudity:0: timeout"], ctx, POLICY)
    assert not verdict.action.reaches_model
    assert verdict.action.severity >= Action.HOLD.severity


@given(st.lists(_CODES, max_size=6), _CONTEXTS)
def test_a_hash_match_always_blocks_and_preserves(findings, ctx):
    assert decide([*findings, HASH], [], ctx, POLICY).action is Action.BLOCK_AND_PRESERVE


# --- the policy file -------------------------------------------------------------------------


def test_default_file_is_the_built_in_default():
    assert load_policy(DEFAULT_POLICY_FILE) == PolicyConfig()


def test_channels_override_the_defaults(tmp_path: Path):
    path = tmp_path / "policy.toml"
    path.write_text('[defaults]\nconsent = "off"\n'
                    '[channels.C9]\naudience = "minors"\nconsent = "require"\n')
    policy = load_policy(path)
    ctx = context_for(policy, "C9", "hello", consent_confirmed=True)
    assert (ctx.audience, ctx.consent_mode, ctx.consent_confirmed, ctx.text) == (
        Audience.MINORS, ConsentMode.REQUIRE, True, "hello")
    other = context_for(policy, "C1", "")
    assert (other.audience, other.consent_mode) == (Audience.GENERAL, ConsentMode.OFF)


def test_channel_tables_inherit_the_defaults(tmp_path: Path):
    path = tmp_path / "policy.toml"
    path.write_text('[defaults]\nconsent = "require"\n[channels.C9]\naudience = "adult"\n')
    ctx = context_for(load_policy(path), "C9", "")
    assert (ctx.audience, ctx.consent_mode) == (Audience.ADULT, ConsentMode.REQUIRE)


@pytest.mark.parametrize(("body", "channel", "expected"), [
    ("", "C1", Audience.ADULT),  # no entry: the platform's age-restricted flag counts
    ('[channels.C9]\naudience = "general"\n', "C9", Audience.GENERAL),  # the file wins
    ('[channels.C9]\naudience = "minors"\n', "C9", Audience.MINORS),
    ('[defaults]\naudience = "minors"\n', "C1", Audience.MINORS),  # never relaxed
])
def test_platform_age_restricted_channel_is_adult_where_the_file_is_silent(
        tmp_path: Path, body: str, channel: str, expected: Audience):
    """Issue 9: Discord's nsfw channels reach the policy as ``adult``: exposure is then held for
    review instead of blocked, and a minor signal still blocks and preserves."""
    path = tmp_path / "policy.toml"
    path.write_text(body)
    policy = load_policy(path)
    ctx = context_for(policy, channel, "", platform_audience=Audience.ADULT)
    assert ctx.audience is expected
    assert context_for(policy, "C1", "").audience is not Audience.ADULT
    if expected is Audience.ADULT:
        assert decide([EXPOSED, NSFW_LOW], [], ctx, policy).action is Action.HOLD
        assert decide([EXPOSED, NSFW_LOW], [], context_for(policy, channel, ""),
                      policy).action is Action.BLOCK
        young = decide([EXPOSED, FACE, YOUNG, NSFW_HIGH], [], ctx, policy)
        assert young.action is Action.BLOCK_AND_PRESERVE


@pytest.mark.parametrize(("body", "needle"), [
    ("[thresholds]\nnsfw_low = 2\n", "thresholds.nsfw_low"),
    ("[thresholds]\nnsfw_low = 0.9\nnsfw_high = 0.5\n", "nsfw_low must not exceed"),
    ('[defaults]\naudience = "everyone"\n', "defaults.audience"),
    ("[thresholdz]\nx = 1\n", "thresholdz"),
    ("[thresholds\n", "not valid TOML"),
    ('[hash_lists]\nsha256_files = ["missing.txt"]\n', "missing.txt cannot be read"),
    # Issue 7 item 3: values that would quietly switch a gate off.
    ("[thresholds]\ndetector_min_score = 0.9\n",
     "thresholds.detector_min_score (0.9) must not exceed thresholds.sexual_signal"),
    ("[thresholds]\ndetector_min_score = 0.31\n", "detector_min_score (0.31) must not exceed"),
    ("[thresholds]\nsexual_signal = 0.2\n", "detector_min_score (0.25) must not exceed"),
    ("[thresholds]\nface_min_score = 1.0\n", "thresholds.face_min_score"),
    ("[thresholds]\nface_min_score = 0.95\n", "thresholds.face_min_score"),
    ('version = "2"\n', "version: unknown policy version '2'"),
    ('version = "test"\n', "version: unknown policy version 'test'"),
    ("version = 1\n", "version:"),
])
def test_bad_policy_files_raise_config_error(tmp_path: Path, body: str, needle: str):
    path = tmp_path / "policy.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_threshold_cross_checks_accept_their_boundaries(tmp_path: Path):
    path = tmp_path / "policy.toml"
    path.write_text('version = "1"\n[thresholds]\ndetector_min_score = 0.5\nsexual_signal = 0.5\n'
                    "exposed_block = 0.5\nface_min_score = 0.9\n")
    t = load_policy(path).thresholds
    assert (t.detector_min_score, t.sexual_signal, t.exposed_block, t.face_min_score) == (
        0.5, 0.5, 0.5, 0.9)


def test_missing_policy_file_raises_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_policy(tmp_path / "nope.toml")


def test_hash_lists_load_relative_to_the_policy_file(tmp_path: Path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "known.txt").write_text(
        "# operator list\n" + "AB" * 32 + "  # first\n\n" + "cd" * 32 + "\n")
    (tmp_path / "policy.toml").write_text('[hash_lists]\nsha256_files = ["lists/known.txt"]\n')
    policy = load_policy(tmp_path / "policy.toml")
    assert policy.hash_lists.sha256 == {"ab" * 32: "known", "cd" * 32: "known"}


def test_malformed_hash_line_names_file_and_line(tmp_path: Path):
    (tmp_path / "pdq.txt").write_text("ab" * 32 + "\nnot-a-hash\n")
    (tmp_path / "policy.toml").write_text('[hash_lists]\npdq_files = ["pdq.txt"]\n')
    with pytest.raises(ConfigError, match=r"pdq\.txt line 2: expected 64 hex digits"):
        load_policy(tmp_path / "policy.toml")
