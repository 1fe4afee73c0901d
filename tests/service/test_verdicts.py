"""Every action of the decision table on the one path, from findings a test sets: what the user
is told, what the model sees (or never sees), what is audited and what is kept as evidence."""

from __future__ import annotations

import pytest

from bot import strings
from bot.models import ReplyKind, Status
from safety.types import Action, Finding
from tests.fakes import covered, exposed, face, hash_listed, jpeg, minor_age, nsfw

BLUR = '[defaults]\nconsent = "blur"\n'
REQUIRE = '[defaults]\nconsent = "require"\n'
ADULT = '[defaults]\naudience = "adult"\nconsent = "off"\n'
OFF = '[defaults]\nconsent = "off"\n'


async def test_a_clean_image_is_answered_and_audited(rig):
    r = rig(OFF)
    out = await r.ask("what is it?")
    assert out.verdict is not None and out.verdict.action is Action.ALLOW
    assert out.verdict.reasons == ("clean",)
    (request,) = r.engine.requests
    assert request.question == "what is it?" and len(request.images) == 1
    assert r.kinds_posted() == [ReplyKind.ANSWER]
    assert r.last().text == "saw 1 image(s); asked: what is it?"
    assert r.kinds() == ["verdict", "answer"]
    assert r.audit("verdict")[0]["action"] == "allow"
    assert (r.platform.statuses[-1][1]) is Status.ANSWERED


async def test_the_answer_streams_before_it_is_posted(rig):
    r = rig(OFF)
    await r.ask("what is it?")
    assert r.platform.partials == ["saw 1 image(s); a", "saw 1 image(s); asked: what is it?"]


async def test_the_model_gets_the_processed_image_not_the_upload(rig):
    r = rig(OFF)
    upload = jpeg(120, 80, seed=3)
    out = await r.ask(images=(upload,))
    (sent,) = r.engine.requests[0].images
    assert sent.data != upload and sent.original_sha256 == out.decoded[0].original_sha256
    assert sent.uploader == "UALICE" and not sent.blurred


async def test_a_face_in_a_blur_channel_is_blurred_before_the_model_sees_it(rig):
    r = rig(BLUR)
    r.screener.sees(face())
    out = await r.ask()
    assert out.verdict.action is Action.ALLOW_BLURRED
    assert "faces_blurred" in out.verdict.reasons
    (sent,) = r.engine.requests[0].images
    assert sent.blurred
    assert strings.t("verdict.blurred_note", "en") in r.last().text
    assert r.audit("verdict")[0]["action"] == "allow_blurred"


async def test_a_face_in_a_consent_off_channel_is_answered_unblurred(rig):
    r = rig(OFF)
    r.screener.sees(face())
    out = await r.ask()
    assert out.verdict.action is Action.ALLOW and out.verdict.reasons == ("faces",)
    assert not r.engine.requests[0].images[0].blurred


async def test_a_face_in_a_require_channel_asks_the_uploader_only(rig):
    r = rig(REQUIRE)
    r.screener.sees(face())
    out = await r.ask()
    assert out.verdict.action is Action.CONFIRM
    assert r.engine.requests == []
    (prompt,) = r.platform.replies
    assert prompt.kind is ReplyKind.CONSENT and prompt.ephemeral_to == "UALICE"
    assert prompt.text == strings.t("verdict.consent", "en")
    assert r.kinds() == ["verdict", "consent_requested"]
    assert await r.app.state.pop_pending(out.request_id) is not None


async def test_a_confirmed_consent_is_answered(rig):
    r = rig(REQUIRE)
    r.screener.sees(face())
    out = await r.ask(consent_confirmed=True)
    assert out.verdict.action is Action.ALLOW
    assert "faces_consent_confirmed" in out.verdict.reasons
    assert len(r.engine.requests) == 1 and r.last().kind is ReplyKind.ANSWER


async def test_exposure_is_blocked_and_nothing_is_kept(rig, tmp_path):
    r = rig(OFF)
    r.screener.sees(exposed())
    out = await r.ask()
    assert out.verdict.action is Action.BLOCK and "sexual_exposure" in out.verdict.reasons
    assert r.engine.requests == []
    assert r.last().kind is ReplyKind.BLOCKED
    assert r.last().text == strings.t("verdict.blocked", "en")
    assert r.kinds() == ["verdict"]
    assert not list((r.settings.data_dir / "quarantine").glob("*"))
    assert r.platform.statuses[-1][1] is Status.BLOCKED


async def test_exposure_in_an_adult_channel_is_held_with_evidence_kept(rig):
    r = rig(ADULT)
    r.screener.sees(exposed())
    out = await r.ask()
    assert out.verdict.action is Action.HOLD
    assert r.engine.requests == []
    assert r.last().kind is ReplyKind.HELD
    assert r.last().text == strings.t("verdict.held", "en")  # no review queue: no case id
    kept = list((r.settings.data_dir / "quarantine").glob("*"))
    assert kept, "held evidence goes to the local quarantine"
    assert r.platform.statuses[-1][1] is Status.HELD


async def test_a_hash_finding_blocks_and_preserves(rig):
    r = rig(OFF)
    r.screener.sees(hash_listed())
    out = await r.ask()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert r.engine.requests == [] and r.last().kind is ReplyKind.BLOCKED
    assert list((r.settings.data_dir / "quarantine").glob("*"))


async def test_a_listed_photo_is_matched_by_the_real_hash_gate_before_any_other_gate(
        rig, tmp_path):
    import hashlib

    photo = jpeg(seed=11)
    lists = tmp_path / "listed.txt"
    lists.write_text(hashlib.sha256(photo).hexdigest() + "\n")
    r = rig(f'[defaults]\nconsent = "off"\n[hash_lists]\nsha256_files = ["{lists}"]\n')
    out = await r.ask(images=(photo,))
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert "hash_match" in out.verdict.reasons
    assert r.screener.gate.calls == []  # no model gate ran on a listed image
    assert r.engine.requests == []


async def test_a_minor_cue_with_a_sexual_signal_is_preserved_and_escalated(rig):
    r = rig(OFF)
    r.screener.sees(covered())
    out = await r.ask("she is 14")
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE and out.verdict.escalated
    assert "minor_sexual" in out.verdict.reasons
    assert r.engine.requests == []
    assert "minor_sexual" in r.audit("verdict")[0]["reasons"]


async def test_a_minor_cue_alone_is_answered(rig):
    r = rig(OFF)
    out = await r.ask("my kid drew this, what is it?")
    assert out.verdict.action is Action.ALLOW and len(r.engine.requests) == 1


async def test_a_failed_gate_holds_and_never_allows(rig):
    r = rig(OFF)
    r.screener.fails(RuntimeError("model crashed"))
    out = await r.ask()
    assert out.verdict.action is Action.HOLD and "gate_error" in out.verdict.reasons
    assert r.engine.requests == [] and r.last().kind is ReplyKind.HELD


async def test_a_gate_that_times_out_holds(rig):
    r = rig(OFF, gate_timeout_s=0.05)
    r.screener.hangs(0.2)
    out = await r.ask()
    assert out.verdict.action is Action.HOLD and "gate_error" in out.verdict.reasons
    assert r.engine.requests == [] and r.last().kind is ReplyKind.HELD


@pytest.mark.parametrize(("policy", "findings", "text", "action"), [
    (OFF, (), "what is it?", Action.ALLOW),
    (OFF, (face(),), "what is it?", Action.ALLOW),
    (BLUR, (face(),), "what is it?", Action.ALLOW_BLURRED),
    (REQUIRE, (face(),), "what is it?", Action.CONFIRM),
    (OFF, (exposed(),), "what is it?", Action.BLOCK),
    (ADULT, (exposed(),), "what is it?", Action.HOLD),
    (OFF, (nsfw(0.95),), "what is it?", Action.BLOCK),
    (OFF, (nsfw(0.5),), "what is it?", Action.ALLOW),
    (OFF, (nsfw(0.5),), "she is 13", Action.BLOCK_AND_PRESERVE),
    (OFF, (covered(), minor_age(),), "what is it?", Action.BLOCK_AND_PRESERVE),
    (OFF, (minor_age(),), "what is it?", Action.ALLOW),
    (OFF, (hash_listed(),), "what is it?", Action.BLOCK_AND_PRESERVE),
    (ADULT, (hash_listed(), face()), "what is it?", Action.BLOCK_AND_PRESERVE),
    (BLUR, (face(), exposed()), "what is it?", Action.BLOCK),
    (OFF, (Finding("decode_error", "ingest", None, "no frames"),), "hi", Action.HOLD),
    ('[defaults]\naudience = "minors"\nconsent = "off"\n', (covered(),), "hi",
     Action.BLOCK_AND_PRESERVE),
])
async def test_the_table_decides_and_only_allowed_images_reach_the_model(
        rig, policy, findings, text, action):
    r = rig(policy)
    r.screener.sees(*findings)
    out = await r.ask(text)
    assert out.verdict.action is action
    assert len(r.engine.requests) == (1 if action.reaches_model else 0)
    assert r.audit("verdict")[0]["action"] == action.value
    expected = {Action.ALLOW: ReplyKind.ANSWER, Action.ALLOW_BLURRED: ReplyKind.ANSWER,
                Action.CONFIRM: ReplyKind.CONSENT, Action.HOLD: ReplyKind.HELD,
                Action.BLOCK: ReplyKind.BLOCKED, Action.BLOCK_AND_PRESERVE: ReplyKind.BLOCKED}
    assert r.kinds_posted() == [expected[action]]


async def test_the_strictest_image_decides_for_the_whole_request(rig):
    r = rig(OFF)
    r.screener.sees(exposed(), image=1)
    out = await r.ask(images=(jpeg(seed=1), jpeg(seed=2)))
    assert out.verdict.action is Action.BLOCK and r.engine.requests == []
    assert r.screener.gate.calls == [0, 1]


async def test_the_screener_gets_the_channels_policy_and_the_text(rig):
    r = rig(OFF + '[channels.C9]\naudience = "adult"\nconsent = "require"\n')
    await r.ask("hello", channel="C9")
    (ctx,) = r.screener.contexts
    assert ctx.text == "hello" and ctx.channel == "C9"
    assert ctx.audience.value == "adult" and ctx.consent_mode.value == "require"
