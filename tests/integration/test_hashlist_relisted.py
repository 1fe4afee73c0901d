"""Stored images and open cases meet hash-list entries added after they were stored (issue 19,
item 6): at their next use (every follow-up matches stored images' SHA-256 and PDQ against the
lists as they are now) and by the sweep (``miru hashlist rescan``, or a worker's start when the
lists' fingerprint changed), which preserves a newly listed stored image in a case, removes it
from its thread and audits it, and escalates a matched pending case without telling its
uploader. Unlisted images and cases are untouched either way.

The images are scikit-image's benign sample photos; the "list" names their hashes."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image as PILImage

from bot import keys
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ReplyKind
from bot.review.model import CaseStatus
from safety.hashlist import pdq_hex
from safety.types import Action, Verdict
from tests.clirun import cli_env, miru
from tests.conftest import redis_client

OFF = '[defaults]\nconsent = "off"\n'
# What the sweep walks and writes: every thread, case and piece of evidence in the test DB.
SWEPT = ("miru:thread:*", "miru:review:*", "miru:quarantine:*", "miru:hashlist:*")


async def _clear(r) -> None:
    for pattern in SWEPT:
        async for key in r.scan_iter(match=pattern, count=500):
            await r.delete(key)


@pytest.fixture
async def redis():
    client = redis_client()
    await _clear(client)
    yield client
    await _clear(client)
    await client.aclose()


pytestmark = pytest.mark.usefixtures("redis")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(tmp_path: Path, *, sha256: tuple[str, ...] = (), pdq: tuple[str, ...] = ()) -> str:
    """A policy body whose hash lists name these hashes (files beside the policy)."""
    body = OFF + "[hash_lists]\n"
    if sha256:
        (tmp_path / "sha.txt").write_text("\n".join(sha256) + "\n")
        body += 'sha256_files = ["sha.txt"]\n'
    if pdq:
        (tmp_path / "pdq.txt").write_text("\n".join(pdq) + "\n")
        body += 'pdq_files = ["pdq.txt"]\n'
    return body


def rotated_pdq(jpeg: bytes) -> str:
    """The PDQ of the photo turned a quarter: a list entry made from another copy of it."""
    pixels = np.asarray(PILImage.open(io.BytesIO(jpeg)).convert("RGB"))
    bits, _ = pdqhash.compute(np.ascontiguousarray(np.rot90(pixels)))
    return pdq_hex(bits)


class Thread:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.id = f"t-{uuid.uuid4().hex}"

    def conv(self, text: str, data: bytes | None = None) -> LocalConversation:
        paths = []
        if data is not None:
            path = self.tmp_path / f"{uuid.uuid4().hex}.jpg"
            path.write_bytes(data)
            paths.append(path)
        return LocalConversation(cli_message(paths, text, thread=self.id))

    @property
    def key(self):
        return self.conv("").message.thread_key


def records(settings) -> list[dict]:
    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


async def _store(make_settings, counting_engine, thread: Thread, data: bytes) -> None:
    """Upload an image while no list names it: allowed, kept in the thread with its hashes."""
    app = build_app(make_settings(OFF), engine=counting_engine)
    try:
        out = await app.pipeline.handle(thread.conv("what is this?", data))
        assert out.verdict.action is Action.ALLOW
        [stored] = await app.memory.get_images(thread.key, (await app.memory.load(
            thread.key)).image_ids)
        assert stored.original_sha256 == _sha(data) and stored.uploader == "cli-user"
        assert len(stored.pdq) == 8  # one frame, its eight rotations and flips
    finally:
        await app.close()


async def test_a_stored_image_listed_after_it_was_stored_is_caught_at_its_next_use(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    thread = Thread(tmp_path)
    await _store(make_settings, counting_engine, thread, coffee_jpeg)
    settings = make_settings(listing(tmp_path, sha256=(_sha(coffee_jpeg),)))
    app = build_app(settings, engine=counting_engine)
    try:
        out = await app.pipeline.handle(thread.conv("and the colour?"))
        assert out.verdict.action is Action.BLOCK_AND_PRESERVE
        assert "hash_match" in out.verdict.reasons
        assert out.reply.kind is ReplyKind.BLOCKED
        assert len(counting_engine.requests) == 1  # the model never saw it again
        assert (await app.memory.load(thread.key)).image_ids == ()  # left the thread
        [case] = await app.services.review.store.list()
        assert case.id not in out.reply.text  # nothing that warns: no case id
        assert (case.action, case.images) == ("block_and_preserve", (_sha(coffee_jpeg),))
        assert not case.previewable
    finally:
        await app.memory.forget_thread(thread.key)
        await app.close()
    [dropped] = [r for r in records(settings) if r["kind"] == "stored_image_dropped"]
    assert dropped["detail"]["hash_listed"] == dropped["detail"]["images"]


async def test_a_rotated_copy_on_a_pdq_list_catches_the_stored_image(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    thread = Thread(tmp_path)
    await _store(make_settings, counting_engine, thread, coffee_jpeg)
    app = build_app(make_settings(listing(tmp_path, pdq=(rotated_pdq(coffee_jpeg),))),
                    engine=counting_engine)
    try:
        out = await app.pipeline.handle(thread.conv("and the colour?"))
    finally:
        await app.memory.forget_thread(thread.key)
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert any(f.code == "hash_match" and f.label.startswith("pdq:")
               for f in out.verdict.findings)


async def test_an_unlisted_stored_image_is_used_as_before(
        make_settings, counting_engine, coffee_jpeg, chelsea_jpeg, tmp_path):
    thread = Thread(tmp_path)
    await _store(make_settings, counting_engine, thread, coffee_jpeg)
    app = build_app(make_settings(listing(tmp_path, sha256=(_sha(chelsea_jpeg),),
                                          pdq=(rotated_pdq(chelsea_jpeg),))),
                    engine=counting_engine)
    try:
        out = await app.pipeline.handle(thread.conv("and the colour?"))
        assert out.verdict.action is Action.ALLOW and out.reply.kind is ReplyKind.ANSWER
        assert len(counting_engine.requests[-1].images) == 1
        assert len((await app.memory.load(thread.key)).image_ids) == 1
        assert await app.services.review.store.list() == []
    finally:
        await app.memory.forget_thread(thread.key)
        await app.close()


async def _pending_case(app, data: bytes, user: str):
    """A pending ``hold`` case (a gate failed on it, say) holding ``data``."""
    msg = cli_message([], "look", thread=f"case-{uuid.uuid4().hex}")
    msg = msg.__class__(**{**msg.__dict__, "user": user})
    decoded = await app.services.ingestor.decode(data, index=0, name="x.jpg")
    return await app.services.review.open_case(
        msg, f"req-{uuid.uuid4().hex}", Verdict(Action.HOLD, ("gate_error",)), {0: data},
        images=(decoded.original_sha256,), pdq=(decoded.pdq_variants,))


async def test_the_sweep_catches_stored_images_and_escalates_pending_cases(
        make_settings, counting_engine, coffee_jpeg, chelsea_jpeg, astronaut_jpeg, tmp_path,
        redis):
    listed, kept = Thread(tmp_path), Thread(tmp_path)
    await _store(make_settings, counting_engine, listed, coffee_jpeg)
    await _store(make_settings, counting_engine, kept, chelsea_jpeg)
    settings = make_settings(listing(tmp_path, pdq=(rotated_pdq(coffee_jpeg),
                                                    rotated_pdq(astronaut_jpeg))))
    app = build_app(settings, engine=counting_engine)
    try:
        hit = await _pending_case(app, astronaut_jpeg, "uploader-a")
        miss = await _pending_case(app, chelsea_jpeg, "uploader-b")
        assert app.rescan is not None and await app.rescan.needed()
        result = await app.rescan.on_start()  # what a worker does as it starts
        assert result is not None
        assert (result.dropped, result.escalated, result.failed) == (1, 1, 0)
        assert (await app.memory.load(listed.key)).image_ids == ()
        assert len((await app.memory.load(kept.key)).image_ids) == 1
        store = app.services.review.store
        hit, miss = await store.get(hit.id), await store.get(miss.id)
        assert (hit.status, hit.hash_match, hit.legal_hold) == (CaseStatus.ESCALATED, True, True)
        assert not hit.previewable  # no preview or Reveal of a listed item, even a hold case
        assert (miss.status, miss.hash_match) == (CaseStatus.PENDING, False)
        [new] = [c for c in await store.list() if c.id not in (hit.id, miss.id)]
        assert (new.action, new.images, new.user) == ("block_and_preserve",
                                                      (_sha(coffee_jpeg),), "cli-user")
        # the card is updated through the workers, the uploader is not told
        notices = [json.loads(n) for n in await redis.lrange(keys.review_notices("cli"), 0, -1)]
        assert notices == [{"case": hit.id, "decision": "escalate", "tell": False}]
        assert not await app.rescan.needed()  # recorded: the next start does nothing
        assert await app.rescan.on_start() is None
    finally:
        for thread in (listed, kept):
            await app.memory.forget_thread(thread.key)
        await redis.delete(keys.HASHLIST_FINGERPRINT)  # one key per DEL: two slots
        await redis.delete(keys.review_notices("cli"))
        await app.close()
    kinds = [r["kind"] for r in records(settings)]
    assert "stored_image_dropped" in kinds and "review_decision" in kinds


async def test_miru_hashlist_rescan(make_settings, counting_engine, coffee_jpeg, tmp_path,
                                    redis):
    thread = Thread(tmp_path)
    await _store(make_settings, counting_engine, thread, coffee_jpeg)
    make_settings(listing(tmp_path, sha256=(_sha(coffee_jpeg),)))  # writes the policy file
    env = cli_env(tmp_path / "cli")
    env["MIRU_POLICY_FILE"] = str(tmp_path / "policy.toml")
    try:
        out = miru(env, "hashlist", "rescan", "--json", timeout=120)
        assert out.returncode == 0, out.stderr
        shown = json.loads(out.stdout)
        assert (shown["dropped"], shown["failed"]) == (1, 0)
        text = miru(env, "hashlist", "rescan", timeout=120)
        assert text.returncode == 0 and "0 named by a list" in text.stdout
        assert not await redis.exists(keys.thread_images_index(thread.key))
    finally:
        await redis.delete(keys.HASHLIST_FINGERPRINT)


class Poster:
    """A platform that shows review cards, recording what the worker does with a notice."""

    name = "cli"

    def __init__(self) -> None:
        from bot.ports import PlatformInfo

        self.info = PlatformInfo("cli")
        self.updated: list[str] = []
        self.told: list[str] = []

    def conversation(self, message):  # pragma: no cover - not used by notices
        raise AssertionError("no conversation here")

    async def post_review_card(self, channel, case, previews) -> str:
        return "card-1"

    async def update_review_card(self, card, case) -> None:
        self.updated.append(case.id)

    async def tell_uploader(self, case, text, *, delete=False) -> None:
        self.told.append(case.id)


async def test_a_hash_list_escalation_updates_the_card_and_never_tells_the_uploader(
        make_settings, counting_engine, astronaut_jpeg, tmp_path, redis):
    from bot.review.model import Decision
    from bot.review.store import Card

    app = build_app(make_settings(listing(tmp_path, pdq=(rotated_pdq(astronaut_jpeg),))),
                    engine=counting_engine)
    poster = Poster()
    app.adapters.add(poster)
    try:
        quiet = await _pending_case(app, astronaut_jpeg, "uploader-a")
        loud = await _pending_case(app, astronaut_jpeg, "uploader-b")
        for case in (quiet, loud):
            await app.services.review.store.set_card(case.id, Card("cli", "mods", "card-1"))
        assert (await app.rescan.rescan()).escalated == 2
        await redis.delete(keys.review_notices("cli"))
        await app.notices.publish(await app.services.review.store.get(quiet.id),
                                  Decision.ESCALATE, tell=False)
        await app.notices.publish(await app.services.review.store.get(loud.id),
                                  Decision.ESCALATE)  # a moderator's, on the command line
        assert await app.notices.handle_one() and await app.notices.handle_one()
    finally:
        await redis.delete(keys.review_notices("cli"))
        await redis.delete(keys.HASHLIST_FINGERPRINT)
        await app.close()
    assert sorted(poster.updated) == sorted([quiet.id, loud.id])
    # a moderator's escalation of a hash-listed case tells its uploader nothing either
    # (issue 19: "passed on for further review" with the case id warned them)
    assert poster.told == []
