"""What a request brings and keeps: files that cannot be used, the plan's limits, thread
history (recall, remember, off), stored images decided again, and images sent back cleaned."""

from __future__ import annotations

from bot import strings
from bot.models import ReplyKind
from safety.types import Action
from tests.fakes import covered, face, jpeg

OFF = '[defaults]\nconsent = "off"\n'
HISTORY_OFF = '[defaults]\nconsent = "off"\nhistory = "off"\n'


async def test_a_mention_without_an_image_asks_for_one(rig):
    r = rig(OFF)
    await r.ask("hello", images=())
    assert r.kinds_posted() == [ReplyKind.INFO]
    assert r.last().text == strings.t("ask.no_image", "en")
    assert r.engine.requests == [] and r.screener.screened == 0


async def test_a_file_that_is_not_an_image_is_rejected_by_name(rig):
    r = rig(OFF)
    out = await r.ask(images=(b"%PDF-1.7 not an image",))
    assert r.kinds_posted() == [ReplyKind.REJECTED]
    assert out.rejections[0].code == "unsupported_format"
    assert r.audit("rejected")[0]["detail"] == {"index": 0, "code": "unsupported_format"}
    assert r.engine.requests == [] and r.screener.screened == 0


async def test_a_truncated_jpeg_is_rejected_and_never_screened_as_clean(rig):
    r = rig(OFF)
    data = jpeg(seed=4)
    out = await r.ask(images=(data[: len(data) // 2],))
    assert r.kinds_posted() == [ReplyKind.REJECTED] and out.decoded == []
    assert r.screener.gate.calls == []


async def test_an_empty_file_is_rejected(rig):
    r = rig(OFF)
    out = await r.ask(images=(b"",))
    assert out.rejections[0].code == "empty"


async def test_a_good_image_beside_a_bad_one_is_answered_naming_the_bad(rig):
    r = rig(OFF)
    out = await r.ask(images=(jpeg(seed=1), b"GIF89a broken"))
    assert out.verdict.action is Action.ALLOW
    assert len(r.engine.requests[0].images) == 1
    assert out.rejections[0].message in r.last().text


async def test_files_over_the_count_are_not_fetched(rig):
    r = rig(OFF, max_files=2)
    out = await r.ask(images=tuple(jpeg(seed=n) for n in range(3)))
    assert len(r.platform.fetched) == 2
    assert [x.code for x in out.rejections] == ["too_many_files"]
    assert len(r.engine.requests[0].images) == 2


async def test_the_plans_largest_image_is_enforced_on_fetch(rig):
    r = rig(OFF + "[tiers.default]\nmax_image_mb = 0.001\n")
    out = await r.ask(images=(jpeg(400, 300, seed=5, quality=95),))
    assert out.rejections[0].code == "too_large"
    assert r.engine.requests == []


async def test_a_file_the_platform_cannot_serve_is_a_fetch_rejection(rig):
    r = rig(OFF)
    msg = r.message()
    r.platform.files.clear()
    out = await r.run(msg)
    assert out.rejections[0].code == "fetch_failed"
    assert r.kinds_posted() == [ReplyKind.REJECTED]


async def test_a_follow_up_recalls_the_threads_image_and_history(rig):
    r = rig(OFF)
    first = await r.ask("what is it?")
    thread = first.reply.thread.thread
    await r.ask("and the colour?", images=(), thread=thread)
    second = r.engine.requests[1]
    assert len(second.images) == 1 and second.images[0].sha256 == first.images[0].sha256
    assert [t.text for t in second.history] == ["what is it?",
                                                "saw 1 image(s); asked: what is it?"]
    assert r.screener.screened == 1  # the stored image was decided from its kept findings
    assert r.audit("verdict")[1]["detail"] == {"stored_images": 1}


async def test_a_thread_is_marked_active_after_an_answer(rig):
    r = rig(OFF)
    out = await r.ask()
    assert await r.app.state.is_active(out.reply.thread)


async def test_history_off_keeps_nothing_and_says_so(rig):
    r = rig(HISTORY_OFF)
    out = await r.ask("what is it?")
    assert r.last().kind is ReplyKind.ANSWER
    assert strings.t("history.off_note", "en") in r.last().text
    state = await r.app.memory.load(out.reply.thread)
    assert state.turns == () and state.image_ids == ()
    assert not await r.app.state.is_active(out.reply.thread)
    assert r.kinds() == ["verdict", "answer"]  # audited as always


async def test_history_off_follow_up_without_an_image_is_asked_to_post_it_again(rig):
    r = rig(HISTORY_OFF)
    first = await r.ask("what is it?")
    await r.ask("and the colour?", images=(), thread=first.reply.thread.thread)
    assert r.last().kind is ReplyKind.INFO
    assert r.last().text == strings.t("history.off_no_image", "en")
    assert len(r.engine.requests) == 1


async def test_history_off_for_one_channel_only(rig):
    r = rig(OFF + '[channels.C2]\nhistory = "off"\n')
    kept = await r.ask(channel="C1")
    gone = await r.ask(channel="C2")
    assert len((await r.app.memory.load(kept.reply.thread)).turns) == 2
    assert (await r.app.memory.load(gone.reply.thread)).turns == ()


async def test_a_users_history_choice_turns_keeping_off(rig):
    r = rig(OFF)
    await r.app.account.set_history("slack", "UALICE", False)
    out = await r.ask()
    assert (await r.app.memory.load(out.reply.thread)).turns == ()
    assert "history" in r.kinds()  # the choice is audited
    other = await r.ask(user="UBOB")
    assert len((await r.app.memory.load(other.reply.thread)).turns) == 2


async def test_the_plans_history_switch_keeps_nothing(rig):
    r = rig(OFF + "[tiers.default]\nhistory = false\n")
    out = await r.ask()
    assert (await r.app.memory.load(out.reply.thread)).turns == ()


async def test_a_stored_image_is_decided_again_with_the_follow_ups_text(rig):
    r = rig(OFF)
    r.screener.sees(covered(0.35))  # a sexual signal, not exposure: allowed alone
    first = await r.ask("what is it?")
    assert first.verdict.action is Action.ALLOW
    later = await r.ask("she is 14", images=(), thread=first.reply.thread.thread)
    assert later.verdict.action is Action.BLOCK_AND_PRESERVE
    assert len(r.engine.requests) == 1  # the model never saw the follow-up
    assert "stored_image_dropped" in r.kinds()
    state = await r.app.memory.load(first.reply.thread)
    assert state.image_ids == ()  # the image left the thread


async def test_a_stored_images_consent_confirmation_holds_for_follow_ups(rig):
    r = rig('[defaults]\nconsent = "require"\n')
    r.screener.sees(face())
    first = await r.ask("who?", consent_confirmed=True)
    assert first.verdict.action is Action.ALLOW
    r.screener.clean()
    later = await r.ask("and now?", images=(), thread=first.reply.thread.thread)
    assert later.verdict.action is Action.ALLOW and len(r.engine.requests) == 2


async def test_cleaned_images_are_sent_back_without_calling_the_model(rig):
    r = rig(OFF)
    out = await r.ask("remove the location data please")
    assert r.engine.requests == []
    reply = r.last()
    assert reply.text == strings.t("privacy.cleaned", "en")
    (attachment,) = reply.attachments
    assert attachment.data[:3] == b"\xff\xd8\xff" and attachment.data != r.platform.files[
        f"m{1}-0.jpg"]
    assert r.audit("privacy_op")[0]["detail"] == {"op": "clean"}
    assert out.verdict.action is Action.ALLOW


async def test_cleaned_images_need_the_share_level(rig):
    r = rig(OFF)
    await r.ask("remove the location data please", access="edit")
    assert r.last().kind is ReplyKind.INFO
    assert r.last().text == strings.t("access.need_share", "en", level="edit")
    assert r.last().attachments == ()


async def test_a_stored_image_a_hash_list_now_names_leaves_the_thread(rig, tmp_path):
    import hashlib

    from bot.stores.memory import MemoryThreadMemory

    memory = MemoryThreadMemory()
    photo = jpeg(seed=21)
    before = rig(OFF, ports={"memory": memory})
    first = await before.ask("what is it?", images=(photo,))
    assert first.verdict.action is Action.ALLOW
    listed = tmp_path / "grown.txt"
    listed.write_text(hashlib.sha256(photo).hexdigest() + "\n")
    after = rig(OFF + f'[hash_lists]\nsha256_files = ["{listed}"]\n', ports={"memory": memory})
    later = await after.ask("and now?", images=(), thread=first.reply.thread.thread)
    assert later.verdict.action is Action.BLOCK_AND_PRESERVE
    assert after.engine.requests == []
    dropped = after.audit("stored_image_dropped")[0]
    assert dropped["detail"]["hash_listed"] == [first.images[0].sha256]
    assert (await memory.load(first.reply.thread)).image_ids == ()
    assert list((after.settings.data_dir / "quarantine").glob("*"))  # preserved


async def test_blur_the_faces_sends_back_blurred_copies(rig):
    r = rig(OFF)
    r.screener.sees(face())
    await r.ask("please blur the faces")
    reply = r.last()
    assert reply.text == strings.t("privacy.cleaned_blurred", "en")
    assert len(reply.attachments) == 1 and r.engine.requests == []
    assert r.audit("privacy_op")[0]["detail"] == {"op": "blur_faces"}


async def test_the_verdict_record_names_the_gates_versions(rig):
    r = rig(OFF)
    await r.ask()
    versions = r.audit("verdict")[0]["model_versions"]
    assert versions["scripted"] == "scripted-1" and "hash" in versions
