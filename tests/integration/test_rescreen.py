"""Every request that uses images is decided again: stored images included (issue 7, item 1).

The gates here are the real ``Screener`` and hash gate with one detector whose findings are built
directly per image (no explicit imagery anywhere): a benign photo is *scored* as a weak sexual
signal, which is allowed on its own and must be blocked once a later message says the person is a
minor. Thread memory is real Redis, so a second app (another worker, a changed policy) sees it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ReplyKind
from config.policy import PolicyConfig, load_policy
from safety.hashlist import HashGate
from safety.screener import Screener
from safety.types import Action, DecodedImage, Finding, GateResult
from tests.render import image_bytes, sign


class ScoredGate:
    """A detector whose findings per image (by the original's SHA-256) are given by the test."""

    name = "scored"
    version = "scored-1"

    def __init__(self, by_sha: Mapping[str, Sequence[Finding]]) -> None:
        self.by_sha = by_sha

    def run(self, image: DecodedImage) -> GateResult:
        found = tuple(Finding(f.code, self.name, f.score, f.label, f.box, image.index)
                      for f in self.by_sha.get(image.original_sha256, ()))
        return GateResult(self.name, found, {f"{self.name}:{image.index}": 0.0}, self.version)


def screener(policy: PolicyConfig, by_sha: Mapping[str, Sequence[Finding]]) -> Screener:
    return Screener(policy, hashes=HashGate({}, {}), detectors=[ScoredGate(by_sha)])


WEAK_SIGNAL = (Finding("nsfw_score", "scored", 0.3),)  # above nsfw_low, far below nsfw_high
FACE = (Finding("face", "scored", 0.9, "FACE_FEMALE", (0.3, 0.2, 0.6, 0.6)),)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kinds(settings) -> list[str]:
    return [json.loads(line)["kind"] for line in settings.audit_path.read_text().splitlines()]


class Thread:
    """Messages in one thread, each a fresh request through the given app."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.id = f"t-{uuid.uuid4().hex}"

    def conv(self, text: str, files: Mapping[str, bytes] = (), **kw) -> LocalConversation:
        paths = []
        for name, data in dict(files).items():
            path = self.tmp_path / name
            path.write_bytes(data)
            paths.append(path)
        return LocalConversation(cli_message(paths, text, thread=self.id, **kw))


@pytest.fixture
def off(make_settings):
    return make_settings('[defaults]\nconsent = "off"\n')


async def test_follow_up_text_about_a_minor_blocks_the_stored_image(
        off, counting_engine, coffee_jpeg, tmp_path, opened_cases):
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(coffee_jpeg): WEAK_SIGNAL}))
    thread = Thread(tmp_path)
    try:
        first = await app.pipeline.handle(thread.conv("what is this?", {"c.jpg": coffee_jpeg}))
        assert first.verdict.action is Action.ALLOW and len(counting_engine.requests) == 1
        key = thread.conv("").message.thread_key
        assert len((await app.memory.load(key)).image_ids) == 1

        follow = await app.pipeline.handle(thread.conv("she is 14, what do you think?"))
        assert follow.verdict.action is Action.BLOCK_AND_PRESERVE
        assert "minor_sexual" in follow.verdict.reasons and follow.verdict.escalated
        assert follow.reply.kind is ReplyKind.BLOCKED
        assert len(counting_engine.requests) == 1  # the model never saw the follow-up
        # the image left the thread: a later harmless question cannot bring it back
        assert (await app.memory.load(key)).image_ids == ()
        later = await app.pipeline.handle(thread.conv("and the colour?"))
        assert later.reply.kind is ReplyKind.INFO and len(counting_engine.requests) == 1
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    kinds = _kinds(off)
    assert "stored_image_dropped" in kinds
    # preserved as evidence, encrypted, in the shared quarantine with a case for the moderators
    assert "review_opened" in kinds
    assert [c.action for c in await opened_cases()] == ["block_and_preserve"]
    assert not list((off.data_dir / "quarantine").glob("*.bin"))


async def test_a_new_image_with_the_text_is_decided_together_with_stored_ones(
        off, counting_engine, coffee_jpeg, chelsea_jpeg, tmp_path, opened_cases):
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(coffee_jpeg): WEAK_SIGNAL}))
    thread = Thread(tmp_path)
    try:
        await app.pipeline.handle(thread.conv("hi", {"c.jpg": coffee_jpeg}))
        # the new image is clean; the text makes the stored one a block
        out = await app.pipeline.handle(thread.conv("this is a 13 year old girl",
                                                    {"cat.jpg": chelsea_jpeg}))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert len(counting_engine.requests) == 1


async def test_a_clean_follow_up_still_uses_the_stored_image(
        off, counting_engine, coffee_jpeg, tmp_path):
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(coffee_jpeg): WEAK_SIGNAL}))
    thread = Thread(tmp_path)
    try:
        await app.pipeline.handle(thread.conv("hi", {"c.jpg": coffee_jpeg}))
        out = await app.pipeline.handle(thread.conv("what colour is the cup?"))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.ALLOW and out.reply.kind is ReplyKind.ANSWER
    assert len(counting_engine.requests[1].images) == 1
    assert "verdict" in _kinds(off)


async def test_a_stricter_policy_applies_to_images_already_in_the_thread(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    """Another worker with a changed policy file decides the stored image again."""
    lenient = make_settings('[defaults]\nconsent = "off"\n')
    thread = Thread(tmp_path)
    app = build_app(lenient, engine=counting_engine,
                    screener=screener(load_policy(lenient.policy_file),
                                      {_sha(coffee_jpeg): WEAK_SIGNAL}))
    try:
        await app.pipeline.handle(thread.conv("hi", {"c.jpg": coffee_jpeg}))
    finally:
        await app.close()
    strict = make_settings('[defaults]\nconsent = "off"\n'
                           '[thresholds]\nnsfw_low = 0.1\nnsfw_high = 0.25\n')
    app = build_app(strict, engine=counting_engine,
                    screener=screener(load_policy(strict.policy_file), {}))
    try:
        out = await app.pipeline.handle(thread.conv("what is it?"))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.BLOCK and "sexual_exposure" in out.verdict.reasons
    assert len(counting_engine.requests) == 1


async def test_consent_given_once_holds_for_follow_ups(
        make_settings, counting_engine, astronaut_jpeg, tmp_path):
    settings = make_settings('[defaults]\nconsent = "require"\n')
    app = build_app(settings, engine=counting_engine,
                    screener=screener(load_policy(settings.policy_file),
                                      {_sha(astronaut_jpeg): FACE}))
    thread = Thread(tmp_path)
    try:
        ask = await app.pipeline.handle(thread.conv("who is this?", {"a.jpg": astronaut_jpeg}))
        assert ask.verdict.action is Action.CONFIRM
        again = await app.account.confirm_consent(ask.request_id, "cli-user", confirmed=True)
        assert (await app.pipeline.handle(LocalConversation(again))).verdict.action \
            is Action.ALLOW
        follow = await app.pipeline.handle(thread.conv("what is she wearing?"))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert follow.verdict.action is Action.ALLOW, follow.verdict.reasons
    assert len(counting_engine.requests) == 2


async def test_ocr_text_is_labelled_with_the_prompts_numbering(
        off, counting_engine, tmp_path):
    """Stored images come first in the prompt; their OCR text carries the same numbers."""
    alpha = image_bytes(sign(["ALPHA GATE"], "en").image)
    bravo = image_bytes(sign(["BRAVO EXIT"], "en").image)
    app = build_app(off, engine=counting_engine)
    thread = Thread(tmp_path)
    try:
        await app.pipeline.handle(thread.conv("read it", {"a.png": alpha}))
        await app.pipeline.handle(thread.conv("and this one?", {"b.png": bravo}))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    second = counting_engine.requests[1]
    assert len(second.images) == 2
    lines = second.ocr_text.splitlines()
    assert lines[0].startswith("Image 1:") and "ALPHA" in lines[0].upper()
    assert lines[1].startswith("Image 2:") and "BRAVO" in lines[1].upper()
