"""Held and preserved uploads on the real Redis: a case with its evidence in the shared
quarantine, a card for the moderators, the uploader told; then the moderators' decisions
(approve continues the request for exactly its images, reject tells the uploader, escalate
puts the evidence on legal hold), each once and audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import keys, strings
from bot.models import ReplyKind
from bot.review.desk import Presser
from bot.review.model import CaseStatus
from safety.types import Action
from tests.fakes import exposed, hash_listed, jpeg

pytestmark = pytest.mark.redis

ADULT = ('[defaults]\naudience = "adult"\nconsent = "off"\n'
         '[moderators.T1]\nchannel = "CMOD"\nusers = ["UMOD"]\n')
MOD = Presser("slack", "T1", "UMOD", name="Mo")


async def _held(redis_rig):
    r = await redis_rig(ADULT)
    r.screener.sees(exposed())
    out = await r.ask()
    assert out.verdict.action is Action.HOLD
    (case,) = r.cards.cases
    return r, out, case


async def test_a_hold_opens_a_case_with_a_card_and_tells_the_uploader(redis_rig):
    r, out, case = await _held(redis_rig)
    assert case.action == "hold" and case.status is CaseStatus.PENDING
    assert case.user == "UALICE" and case.images == (out.decoded[0].original_sha256,)
    assert case.link.endswith(f"/C1/{out.reply.thread.thread}")  # the platform's own link
    assert r.last().kind is ReplyKind.HELD
    assert r.last().text == strings.t("review.under_review", "en", case=case.id)
    stored = await r.app.services.review.store.get(case.id)
    assert stored is not None and len(stored.evidence) == 1
    assert r.engine.requests == []


async def test_a_preserved_upload_opens_a_case_the_uploader_is_not_told_of(redis_rig):
    r = await redis_rig(ADULT)
    r.screener.sees(hash_listed())
    await r.ask()
    (case,) = r.cards.cases
    assert case.action == "block_and_preserve"
    assert r.last().text == strings.t("verdict.blocked", "en")
    assert case.id not in r.last().text


async def test_a_card_that_cannot_be_posted_leaves_the_case_in_the_queue(redis_rig):
    r = await redis_rig(ADULT)
    r.cards.fail = True
    r.screener.sees(exposed())
    await r.ask()
    assert r.last().kind is ReplyKind.HELD and r.cards.cases == []
    assert await r.app.desk().waiting("slack", "T1") == 1  # miru review list finds it


async def test_approve_continues_the_request_and_answers_it(redis_rig):
    r, _out, case = await _held(redis_rig)
    result = await r.app.desk().press(MOD, case.id, "approve")
    assert result.outcome == "ok" and result.case.status is CaseStatus.APPROVED
    assert result.uploader  # the adapter tells the uploader this
    await r.work()
    (continued,) = r.worked
    assert continued.review_case == case.id
    assert r.last().kind is ReplyKind.ANSWER and len(r.engine.requests) == 1
    verdicts = r.audit("verdict")
    assert "review_approved" in verdicts[-1]["reasons"]
    assert verdicts[-1]["detail"] == {"review_case": case.id}
    decision = r.audit("review_decision")[0]
    assert decision["action"] == "approve"


async def test_an_approval_covers_only_the_cases_images(redis_rig):
    r, _out, case = await _held(redis_rig)
    await r.app.desk().press(MOD, case.id, "approve")
    other = replace(r.message(images=(jpeg(seed=9),)), review_case=case.id)
    later = await r.run(other)
    assert later.verdict.action is Action.HOLD and r.engine.requests == []


async def test_reject_tells_the_uploader_and_continues_nothing(redis_rig):
    r, _out, case = await _held(redis_rig)
    result = await r.app.desk().press(MOD, case.id, "reject")
    assert result.outcome == "ok" and result.case.status is CaseStatus.REJECTED
    assert result.uploader and result.delete  # the fake platform may delete uploads
    await r.work()
    assert r.worked == [] and r.engine.requests == []
    assert r.audit("review_decision")[0]["action"] == "reject"


async def test_escalate_puts_the_evidence_on_legal_hold(redis_rig):
    r, _out, case = await _held(redis_rig)
    result = await r.app.desk().press(MOD, case.id, "escalate")
    assert result.outcome == "ok" and result.case.status is CaseStatus.ESCALATED
    assert result.case.legal_hold
    vault = r.app.services.review.quarantine
    (evidence,) = result.case.evidence
    assert (await vault.meta(evidence))["legal_hold"] is True
    ttl = await r.app.redis.ttl(keys.quarantine_blob(evidence))
    assert ttl > vault.ttl_s(False)  # kept past the normal retention
    assert r.audit("review_decision")[0]["action"] == "escalate"


async def test_a_case_is_decided_once(redis_rig):
    r, _out, case = await _held(redis_rig)
    desk = r.app.desk()
    assert (await desk.press(MOD, case.id, "reject")).outcome == "ok"
    again = await desk.press(MOD, case.id, "approve")
    assert again.outcome == "decided"
    assert (await r.app.services.review.store.get(case.id)).status is CaseStatus.REJECTED
    assert "review_stale" in r.kinds()
    await r.work()
    assert r.worked == []


async def test_someone_who_is_not_a_moderator_is_refused_and_audited(redis_rig):
    r, _out, case = await _held(redis_rig)
    result = await r.app.desk().press(Presser("slack", "T1", "UALICE"), case.id, "approve")
    assert result.outcome == "refused"
    assert result.message == strings.t("review.not_moderator", "en")
    assert (await r.app.services.review.store.get(case.id)).status is CaseStatus.PENDING
    assert r.audit("review_refused")[0]["action"] == "approve"


async def test_a_preserved_case_is_never_approved_nor_revealed(redis_rig):
    r = await redis_rig(ADULT)
    r.screener.sees(hash_listed())
    await r.ask()
    (case,) = r.cards.cases
    desk = r.app.desk()
    assert (await desk.press(MOD, case.id, "approve")).outcome == "not_allowed"
    assert (await desk.press(MOD, case.id, "reveal")).outcome == "not_allowed"
    assert (await r.app.services.review.store.get(case.id)).status is CaseStatus.PENDING


async def test_a_moderator_may_reveal_a_held_image(redis_rig):
    r, _out, case = await _held(redis_rig)
    result = await r.app.desk().press(MOD, case.id, "reveal")
    assert result.outcome == "revealed"
    # the copy without metadata (issue 19), never the original bytes
    import io

    from PIL import Image

    original = r.platform.files[r.platform.fetched[0]]
    [copy] = result.images
    assert copy != original
    assert Image.open(io.BytesIO(copy)).size == Image.open(io.BytesIO(original)).size
    assert not Image.open(io.BytesIO(copy)).getexif()
    assert r.audit("review_reveal")


async def test_an_unknown_button_is_refused(redis_rig):
    r, _out, case = await _held(redis_rig)
    assert (await r.app.desk().press(MOD, case.id, "delete-all")).outcome == "refused"
