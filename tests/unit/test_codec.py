"""Round trips of the values that go through Redis and the audit log, and bad input."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import CodecError
from bot.models import AuditRecord, Image, ImageRef, IncomingMessage, Turn
from bot.stores import codec
from safety.types import Action, Finding, Verdict


def _message(**kw) -> IncomingMessage:
    base = dict(platform="slack", workspace="T1", channel="C1", thread="1.0", message_id="1.1",
                user="U1", text="これは何？ what is this?",
                images=(ImageRef("a.png", url="https://files.slack.com/a", size=12),),
                event_id="Ev1", language="ja", consent_confirmed=True)
    base.update(kw)
    return IncomingMessage(**base)


def test_message_round_trip_keeps_types():
    msg = _message()
    back = codec.load_message(codec.dump_message(msg))
    assert back == msg
    assert isinstance(back.images, tuple) and isinstance(back.images[0], ImageRef)


def test_turn_round_trip():
    turn = Turn("assistant", "答え", image_ids=("ab" * 32,), ts=1712345678.25)
    back = codec.load_turn(codec.dump_turn(turn))
    assert back == turn and isinstance(back.image_ids, tuple)


def test_verdict_round_trip_restores_enum_and_boxes():
    verdict = Verdict(
        Action.ALLOW_BLURRED, ("faces_blurred",),
        findings=(Finding("face", "faces", 0.91, "FACE_FEMALE", (0.1, 0.2, 0.3, 0.4), 1),),
        scores={"nsfw": 0.02}, model_versions={"nudenet": "3.4"}, timings_ms={"faces": 12.5},
    )
    back = codec.load_verdict(codec.dump_verdict(verdict))
    assert back == verdict
    assert back.action is Action.ALLOW_BLURRED
    assert back.faces(1) == ((0.1, 0.2, 0.3, 0.4),)


def test_audit_record_round_trip_ignores_chain_fields():
    rec = AuditRecord("verdict", "r1", 1.5, actor="abc", image_sha256=("00" * 32,),
                      reasons=("ok",), scores={"nsfw": 0.1}, detail={"n": 1, "tags": ["a"]})
    obj = codec.audit_to_dict(rec)
    assert json.loads(json.dumps(obj)) == obj  # plain JSON types only
    obj.update(prev="0" * 64, hash="f" * 64)
    assert codec.load_audit(json.dumps(obj)) == rec


def test_image_meta_and_bytes_round_trip():
    data = bytes(range(256)) * 3  # not valid UTF-8: stored raw, not in JSON
    img = Image(2, data, "image/png", 10, 20, "webp", "aa" * 32,
                hashlib.sha256(data).hexdigest(), blurred=True)
    meta = codec.dump_image_meta(img)
    assert b"data" not in json.loads(meta)
    back = codec.load_image(meta, data)
    assert (back.index, back.data, back.mime, back.width, back.height, back.source_format,
            back.original_sha256, back.sha256, back.blurred) == (
        img.index, img.data, img.mime, img.width, img.height, img.source_format,
        img.original_sha256, img.sha256, img.blurred)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"platform": "slack"}',
                                 b'{"platform": 1, "images": "x"}'])
def test_bad_message_json_is_a_codec_error(raw):
    with pytest.raises(CodecError):
        codec.load_message(raw)


def test_bad_verdict_action_is_a_codec_error():
    good = json.loads(codec.dump_verdict(Verdict(Action.HOLD, ("gate_error",))))
    good["action"] = "maybe"
    with pytest.raises(CodecError, match="action"):
        codec.load_verdict(json.dumps(good))


def test_bad_image_meta_is_a_codec_error():
    with pytest.raises(CodecError):
        codec.load_image(b'{"index": "x"}', b"123")


@given(text=st.text(), user=st.text(min_size=1, max_size=40),
       names=st.lists(st.text(max_size=20), max_size=4), dm=st.booleans())
def test_any_message_text_round_trips(text, user, names, dm):
    msg = _message(text=text, user=user, images=tuple(ImageRef(n) for n in names), is_dm=dm)
    assert codec.load_message(codec.dump_message(msg)) == msg
