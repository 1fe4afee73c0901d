"""The core gateway (bot/core/gateway.py), branch by branch, on a real App over memory stores:
accepted, duplicate, unavailable (reply and audit), the follow-up rule, the allow-list hook,
the in-flight cap and every consent answer. Milliseconds each, no models, no Redis."""

from __future__ import annotations

import asyncio

from bot import strings
from bot.core.commands import AnswerConsent
from bot.core.pipeline import request_id_for
from bot.models import ReplyKind, Status
from tests.unit.gateway_fakes import BrokenState, make_rig, msg


async def test_a_message_is_enqueued_once(tmp_path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.on_message(msg()) == "accepted"
    assert await rig.gateway.on_message(msg()) == "duplicate"  # the platform delivered it again
    assert [m.message_id for m in rig.queue.jobs] == ["100.1"]
    assert rig.platform.replies == [] and rig.audit_lines() == []


async def test_queue_down_tells_the_user_in_the_thread_and_audits(tmp_path) -> None:
    rig = make_rig(tmp_path)
    rig.queue.down = True
    message = msg(ts="200.2", thread="200.1", text="what is this?")
    assert await rig.gateway.on_message(message) == "unavailable"
    (reply,) = rig.platform.replies
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == strings.t("store.unavailable", "en")
    assert reply.thread == message.thread_key and reply.request_id == request_id_for(message)
    assert rig.platform.statuses == [("200.2", Status.FAILED)]
    (record,) = rig.audit_lines()
    assert record["kind"] == "unavailable" and record["detail"] == {"code": "store_unavailable"}
    assert (record["channel"], record["thread"]) == ("C1", "200.1")
    assert record["actor"] == rig.app.audit.pseudonym("slack", "U1")  # never the raw user id
    assert "U1" not in rig.audit_path.read_text()


async def test_queue_down_and_reply_refused_is_still_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    rig.queue.down, rig.platform.refuse = True, True
    assert await rig.gateway.on_message(msg()) == "unavailable"
    assert [r["kind"] for r in rig.audit_lines()] == ["unavailable"]
    assert rig.platform.statuses == [("100.1", Status.FAILED)]


async def test_the_unavailable_reply_is_in_the_users_language(tmp_path) -> None:
    rig = make_rig(tmp_path)
    await rig.app.state.set_pref("slack", "U1", "lang", "ja")
    rig.queue.down = True
    await rig.gateway.on_message(msg())
    assert rig.platform.replies[0].text == strings.t("store.unavailable", "ja")


async def test_follow_up_counts_only_in_a_thread_miru_answered_in(tmp_path) -> None:
    rig = make_rig(tmp_path)
    follow = msg(ts="300.2", thread="300.1", text="and the price?")
    assert await rig.gateway.on_message(follow, follow_up=True) is None
    assert rig.queue.jobs == []
    await rig.app.state.mark_active(follow.thread_key)
    assert await rig.gateway.on_message(follow, follow_up=True) == "accepted"
    other = msg(ts="301.2", thread="301.1")  # another thread of the same channel
    assert await rig.gateway.on_message(other, follow_up=True) is None
    assert [m.message_id for m in rig.queue.jobs] == ["300.2"]


async def test_a_dm_needs_no_active_thread(tmp_path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.on_message(msg(is_dm=True, channel="D1"), follow_up=True) == (
        "accepted")


async def test_follow_up_when_the_store_is_down_stays_quiet(tmp_path) -> None:
    rig = make_rig(tmp_path, state=BrokenState())
    assert await rig.gateway.on_message(msg(ts="9.2", thread="9.1"), follow_up=True) is None
    assert rig.queue.jobs == [] and rig.platform.replies == []


async def test_allow_list_hook_drops_before_anything_runs(tmp_path) -> None:
    rig = make_rig(tmp_path, allow=lambda m: m.workspace == "TOTHER")
    rig.queue.down = True  # would reply and audit if the message got that far
    assert await rig.gateway.on_message(msg()) is None
    assert rig.platform.replies == [] and rig.audit_lines() == []


async def test_at_most_max_inflight_submissions_reach_the_queue_at_once(tmp_path) -> None:
    rig = make_rig(tmp_path, max_inflight=2)
    rig.queue.gate = asyncio.Event()
    tasks = [asyncio.create_task(rig.gateway.on_message(msg(ts=f"{i}.1"))) for i in range(6)]
    await asyncio.sleep(0.05)
    assert rig.queue.inflight == 2
    rig.queue.gate.set()
    assert await asyncio.gather(*tasks) == ["accepted"] * 6
    assert rig.queue.max_inflight == 2


async def pending(rig, request_id: str = "slack:C1:T1:C1:100.1", user: str = "U1"):
    message = msg(user=user)
    await rig.app.state.save_pending(request_id, message, 900)
    return request_id, message


async def test_consent_confirmed_by_the_uploader_submits_the_request_again(tmp_path) -> None:
    rig = make_rig(tmp_path)
    request_id, message = await pending(rig)
    assert await rig.gateway.run_command(AnswerConsent(request_id, True), "U1") == ""
    (job,) = rig.queue.jobs
    assert job.consent_confirmed and job.message_id == message.message_id
    (record,) = rig.audit_lines()
    assert (record["kind"], record["action"]) == ("consent", "confirmed")


async def test_consent_cancelled_never_submits(tmp_path) -> None:
    rig = make_rig(tmp_path)
    request_id, _ = await pending(rig)
    text = await rig.gateway.run_command(AnswerConsent(request_id, False), "U1")
    assert text == strings.t("verdict.consent_cancelled", "en")
    assert rig.queue.jobs == []
    assert [(r["kind"], r["action"]) for r in rig.audit_lines()] == [("consent", "cancelled")]
    assert await rig.app.state.pop_pending(request_id) is None


async def test_consent_expired(tmp_path) -> None:
    rig = make_rig(tmp_path)
    text = await rig.gateway.run_command(AnswerConsent("slack:C1:gone", True), "U1")
    assert text == strings.t("verdict.consent_expired", "en")
    assert rig.queue.jobs == [] and rig.audit_lines() == []


async def test_consent_by_someone_else_does_not_count_and_leaves_the_prompt(tmp_path) -> None:
    rig = make_rig(tmp_path)
    request_id, _ = await pending(rig)
    text = await rig.gateway.run_command(AnswerConsent(request_id, True), "U2")
    assert text == strings.t("verdict.consent_expired", "en")
    assert rig.queue.jobs == [] and rig.audit_lines() == []
    assert await rig.gateway.run_command(AnswerConsent(request_id, True), "U1") == ""
    assert len(rig.queue.jobs) == 1  # the uploader could still answer


async def test_consent_confirmed_while_the_queue_is_down(tmp_path) -> None:
    rig = make_rig(tmp_path)
    request_id, _ = await pending(rig)
    rig.queue.down = True
    text = await rig.gateway.run_command(AnswerConsent(request_id, True), "U1")
    assert text == strings.t("store.unavailable", "en")
    assert [r["kind"] for r in rig.audit_lines()] == ["consent", "unavailable"]
