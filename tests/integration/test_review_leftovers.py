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
from tests.fakes import ReviewPlatform

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


class Refuser(ReviewPlatform):
    """A platform (named ``slack`` so the case's notices reach it) whose deletions fail
    ``failures`` times, then succeed."""

    def __init__(self, failures: int) -> None:
        super().__init__("slack")
        self.failures = failures
        self.tries = 0

    async def withdraw_reveal(self, post) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise ConnectionError("the platform is away")
        self.deleted.append(post.ids)


async def _decide_and_sweep(app, redis, case_id: str, sweeps: int) -> None:
    """Decide the case, then let a worker take each withdrawal; each purge's sweep queues
    again what is left."""
    from bot.review.model import Decision

    review = app.services.review
    await review.decide(case_id, Decision.REJECT, Actor("slack", "UMOD0001"))
    for n in range(sweeps):
        if n:
            await review.purge(Actor("cli", "ops"))
        while await redis.llen(keys.review_notices("slack")):
            assert await app.notices.handle_one(timeout_s=0.5)


async def test_a_reveal_copy_whose_deletion_failed_is_tried_again(app, redis, coffee_jpeg):
    case = await _case(app, coffee_jpeg)
    platform = Refuser(failures=1)
    app.adapters.add(platform)
    await app.services.review.revealed(case.id, RevealPost("slack", "D1", ("F1",)))
    await _decide_and_sweep(app, redis, case.id, sweeps=2)
    assert platform.deleted == [("F1",)] and platform.tries == 2
    assert not await redis.exists(keys.review_reveals(case.id))
    withdrawn = [r for r in _audit(app) if r["kind"] == "review_reveal_withdrawn"]
    assert [(r["action"], r["detail"].get("retrying")) for r in withdrawn] == [
        ("withdraw_failed", 1), ("withdrawn", None)]
    assert not await redis.exists(keys.REVIEW_REVEALS_GIVEN_UP)


async def test_a_reveal_copy_that_cannot_be_deleted_is_given_up_where_operators_see_it(
        app, redis, coffee_jpeg, make_settings):
    from bot.health.local import _reveals

    case = await _case(app, coffee_jpeg)
    platform = Refuser(failures=99)
    app.adapters.add(platform)
    assert _reveals(app.settings).ok
    await app.services.review.revealed(case.id, RevealPost("slack", "D1", ("F1",)))
    await _decide_and_sweep(app, redis, case.id, sweeps=keys.REVEAL_WITHDRAW_ATTEMPTS + 2)
    assert platform.tries == keys.REVEAL_WITHDRAW_ATTEMPTS  # bounded: then left alone
    withdrawn = [r for r in _audit(app) if r["kind"] == "review_reveal_withdrawn"]
    assert [r["action"] for r in withdrawn] == (
        ["withdraw_failed"] * (keys.REVEAL_WITHDRAW_ATTEMPTS - 1) + ["given_up"])
    [left] = [json.loads(x) for x in await redis.lrange(keys.REVIEW_REVEALS_GIVEN_UP, 0, -1)]
    assert left == {"case": case.id, "platform": "slack", "channel": "D1", "ids": ["F1"],
                    "attempts": keys.REVEAL_WITHDRAW_ATTEMPTS}
    check = _reveals(app.settings)
    assert not check.ok and "1 Reveal copy" in check.detail and case.id not in check.detail
    assert "LRANGE" in check.fix


async def test_reveal_is_audited_after_its_post_or_as_failed(app, coffee_jpeg):
    """The record says what happened: a copy posted (after the post), or a post that failed;
    never a Reveal that nobody received."""
    case = await _case(app, coffee_jpeg)
    desk = _desk(app, [])
    result = await desk.press(Presser("slack", "T01", "UMOD0001"), case.id, "reveal")
    assert result.outcome == "revealed" and result.images
    assert "review_reveal" not in [r["kind"] for r in _audit(app)]  # nothing posted yet
    await desk.reveal_failed("slack", "UMOD0001", case.id, "SlackApiError")
    await desk.revealed(case.id, RevealPost("slack", "D1", ("F1",)), by="UMOD0001")
    reveals = [(r["action"], r["actor"] != "", r["detail"]) for r in _audit(app)
               if r["kind"] == "review_reveal"]
    assert reveals == [("reveal_failed", True, {"case": case.id, "why": "SlackApiError"}),
                       ("reveal", True, {"case": case.id, "copies": 1})]
