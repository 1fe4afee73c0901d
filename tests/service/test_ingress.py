"""The way in on the real Redis: the gateway's permission and quota checks, what is queued,
what a refused user is told and what is audited; then the worker's side of the same message
(``App.run_job``), with the reply claim making a job run twice answer once."""

from __future__ import annotations

import pytest

from bot import strings
from bot.core.commands import AnswerConsent
from bot.core.outcome import request_id_for
from bot.models import ReplyKind, Status
from safety.types import Action
from tests.fakes import face

pytestmark = pytest.mark.redis

OFF = '[defaults]\nconsent = "off"\n'
ONE_A_DAY = OFF + "[tiers.default]\nimages_per_user_per_day = 1\n"


async def test_a_message_is_queued_then_answered_by_the_worker(redis_rig):
    r = await redis_rig(OFF)
    msg = r.message()
    assert await r.send(msg) == "accepted"
    assert r.platform.replies == [] and r.engine.requests == []  # the gateway only queues
    await r.work()
    assert r.worked == [msg] and r.kinds_posted() == [ReplyKind.ANSWER]
    assert r.kinds() == ["verdict", "answer"]


async def test_a_redelivered_event_is_queued_once(redis_rig):
    r = await redis_rig(OFF)
    msg = r.message()
    assert await r.send(msg) == "accepted"
    assert await r.send(msg) == "duplicate"
    await r.work()
    assert len(r.worked) == 1 and len(r.engine.requests) == 1


async def test_over_the_quota_the_user_is_told_audited_and_nothing_is_queued(redis_rig):
    r = await redis_rig(ONE_A_DAY)
    assert await r.send(r.message()) == "accepted"
    refused = r.message()
    assert await r.send(refused) == "refused"
    (told,) = r.platform.replies
    assert told.kind is ReplyKind.INFO and told.text.startswith(
        strings.t("quota.user", "en", limit=1, reset="")[:20])
    record = r.audit("quota_refused")[0]
    assert record["detail"]["scope"] == "user" and record["detail"]["limit"] == 1
    assert record["request_id"] == request_id_for(refused)
    await r.work()
    assert len(r.worked) == 1 and len(r.engine.requests) == 1  # only the admitted one ran
    assert (refused.message_id, Status.FAILED) in r.platform.statuses


async def test_the_quota_counts_per_user(redis_rig):
    r = await redis_rig(ONE_A_DAY)
    assert await r.send(r.message(user="UALICE")) == "accepted"
    assert await r.send(r.message(user="UBOB")) == "accepted"
    assert await r.send(r.message(user="UALICE")) == "refused"


async def test_the_quota_starts_again_the_next_day(redis_rig):
    r = await redis_rig(ONE_A_DAY)
    assert await r.send(r.message()) == "accepted"
    r.clock.advance(24 * 3600)
    assert await r.send(r.message()) == "accepted"


async def test_a_request_in_progress_holds_its_slot_until_the_worker_is_done(redis_rig):
    r = await redis_rig(OFF + "[tiers.default]\nconcurrent_per_user = 1\n")
    assert await r.send(r.message()) == "accepted"
    assert await r.send(r.message()) == "refused"
    assert r.audit("quota_refused")[0]["detail"]["scope"] == "concurrent"
    await r.work()  # the first request ends and frees its slot
    assert await r.send(r.message()) == "accepted"


async def test_a_paid_workspace_has_no_daily_quota(redis_rig):
    r = await redis_rig(ONE_A_DAY + '[tiers.paid]\n[plans.workspaces]\nT2 = "paid"\n')
    for _ in range(3):
        assert await r.send(r.message(workspace="T2")) == "accepted"


async def test_a_user_without_permission_is_told_audited_and_not_counted(redis_rig):
    r = await redis_rig(ONE_A_DAY + '[permissions.T1]\neveryone = "none"\n'
                        '[permissions.T1.share]\nusers = ["UALICE"]\n')
    assert await r.send(r.message(user="UBOB")) == "denied"
    assert r.audit("permission_denied")[0]["detail"]["reason"] == "level"
    assert r.last().text == strings.t("access.denied_level", "en")
    assert await r.send(r.message(user="UALICE")) == "accepted"  # U2's refusal counted nothing
    await r.work()
    assert r.worked[0].access == "share"  # the level travels with the job


async def test_a_follow_up_counts_only_in_a_thread_miru_answered_in(redis_rig):
    r = await redis_rig(OFF)
    first = r.message()
    await r.send(first)
    stray = r.message("and this?", images=(), thread="9999.0001")
    assert await r.send(stray, follow_up=True) is None
    await r.work()
    follow = r.message("and the colour?", images=(), thread=first.thread)
    assert await r.send(follow, follow_up=True) == "accepted"


async def test_a_job_run_twice_answers_once(redis_rig):
    r = await redis_rig(OFF)
    msg = r.message()
    await r.run(msg)
    await r.run(msg)  # the same job again (a worker died after its post)
    assert r.kinds_posted() == [ReplyKind.ANSWER]
    assert len(r.engine.requests) == 1


async def test_a_confirmed_consent_runs_the_request_again_and_answers(redis_rig):
    r = await redis_rig('[defaults]\nconsent = "require"\n')
    r.screener.sees(face())
    msg = r.message()
    first = await r.run(msg)
    assert first.verdict.action is Action.CONFIRM and r.engine.requests == []
    said = await r.gateway.run_command(AnswerConsent(first.request_id, True), "UALICE")
    assert said == ""
    await r.work()
    assert r.worked[0].consent_confirmed
    assert r.last().kind is ReplyKind.ANSWER and len(r.engine.requests) == 1


async def test_only_the_uploader_may_confirm(redis_rig):
    r = await redis_rig('[defaults]\nconsent = "require"\n')
    r.screener.sees(face())
    first = await r.run(r.message())
    said = await r.gateway.run_command(AnswerConsent(first.request_id, True), "UBOB")
    assert said != ""
    await r.work()
    assert r.worked == [] and r.engine.requests == []


async def test_a_declined_consent_is_never_answered(redis_rig):
    r = await redis_rig('[defaults]\nconsent = "require"\n')
    r.screener.sees(face())
    first = await r.run(r.message())
    await r.gateway.run_command(AnswerConsent(first.request_id, False), "UALICE")
    await r.work()
    assert r.worked == [] and r.engine.requests == []


async def test_a_job_no_worker_served_is_audited_and_its_images_given_back(redis_rig):
    r = await redis_rig(ONE_A_DAY)
    msg = r.message()
    assert await r.send(msg) == "accepted"
    await r.app.unserved(msg, "1-0", r.clock.now() - 700)
    record = r.audit("job_unserved")[0]
    assert record["detail"] == {"dead": "1-0", "waited_s": 700}
    assert await r.send(r.message()) == "accepted"  # the day's image came back


async def test_the_apis_one_shot_pipeline_leaves_no_thread_behind(redis_rig):
    r = await redis_rig(OFF)
    msg = r.message()
    async with r.app.ingress.admitted(msg) as admission:
        assert admission.ok
        out = await r.app.one_shot().handle(r.platform.conversation(msg))
    assert out.reply.kind is ReplyKind.ANSWER and len(r.engine.requests) == 1
    assert (await r.app.memory.load(msg.thread_key)).turns == ()


async def test_chat_and_the_api_count_against_one_quota(redis_rig):
    r = await redis_rig(ONE_A_DAY)
    assert await r.send(r.message()) == "accepted"
    api = r.message()
    async with r.app.ingress.admitted(api) as admission:
        assert not admission.ok and admission.scope == "user"
    assert r.audit("quota_refused")[0]["request_id"] == request_id_for(api)
