"""Plans and quotas against the real Redis server: the check-and-count is atomic (many gateways
racing at the last image let none extra through), a re-delivered request is not counted twice,
a request larger than what is left is refused whole, the concurrency slot is taken and freed,
the reset time is the next UTC midnight, ``miru usage`` reports the day, and a policy naming an
unknown tier stops start-up naming the key."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot import keys
from bot.core.quota import Quotas, day_of, next_reset, usage
from bot.models import ImageRef, IncomingMessage
from bot.stores.codec import load_message
from config.errors import ConfigError
from config.policy import PolicyConfig, load_policy
from tests.clirun import cli_env, miru
from tests.conftest import redis_client

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

NOW = datetime(2026, 11, 28, 15, 30, tzinfo=UTC).timestamp()


def policy(**tier: int) -> PolicyConfig:
    return PolicyConfig.model_validate({
        "tiers": {"free": tier, "paid": {}},
        "plans": {"default": "free", "workspaces": {"TPAID": "paid"}}})


def message(n: int, *, user: str = "U1", workspace: str = "TQ", images: int = 1
            ) -> IncomingMessage:
    refs = tuple(ImageRef(f"{k}.png", url="https://files.slack.com/x") for k in range(images))
    return IncomingMessage("slack", workspace, "C1", f"{n}.0", f"m{n}", user, "q", images=refs,
                           event_id=f"E{n}")


@pytest.fixture
async def redis():
    client = redis_client()
    await _clear(client)
    yield client
    await _clear(client)
    await client.aclose()


async def _clear(client: Redis) -> None:
    async for key in client.scan_iter(match="miru:quota:*", count=1000):
        await client.delete(key)


async def test_many_gateways_at_the_last_images_never_let_one_extra_through(redis):
    pol = policy(images_per_user_per_day=5)
    clients = [redis_client() for _ in range(4)]  # four gateways, four connections
    try:
        gates = [Quotas(c, pol) for c in clients]
        results = await asyncio.gather(*(gates[n % 4].admit(message(n), f"r{n}", NOW)
                                         for n in range(40)))
    finally:
        for c in clients:
            await c.aclose()
    assert sum(r.ok for r in results) == 5
    refused = [r for r in results if not r.ok]
    assert {(r.scope, r.limit) for r in refused} == {("user", 5)}
    assert await redis.get(f"miru:quota:{{slack:TQ}}:{day_of(NOW)}:u:U1") == b"5"


async def test_the_workspace_quota_spans_users_and_a_paid_workspace_has_none(redis):
    q = Quotas(redis, policy(images_per_workspace_per_day=3))
    got = [await q.admit(message(n, user=f"U{n}"), f"r{n}", NOW) for n in range(5)]
    assert [r.ok for r in got] == [True, True, True, False, False]
    assert got[3].scope == "workspace" and got[3].tier == "free"
    paid = [await q.admit(message(n, workspace="TPAID"), f"p{n}", NOW) for n in range(10)]
    assert all(r.ok for r in paid) and paid[0].tier == "paid"


async def test_a_request_is_counted_once_and_refused_whole_when_too_large(redis):
    q = Quotas(redis, policy(images_per_user_per_day=4))
    assert (await q.admit(message(1, images=3), "r1", NOW)).ok
    assert (await q.admit(message(1, images=3), "r1", NOW)).ok  # re-delivered: not counted
    big = await q.admit(message(2, images=2), "r2", NOW)
    assert not big.ok and big.scope == "user"  # 3 + 2 > 4: none of the two goes through
    assert (await q.admit(message(3, images=1), "r3", NOW)).ok
    # at the gateway a follow-up takes only its slot (the worker counts its stored images)
    assert (await q.admit(message(4, images=0), "r4", NOW)).ok


async def test_the_quota_resets_at_utc_midnight(redis):
    q = Quotas(redis, policy(images_per_user_per_day=1))
    assert (await q.admit(message(1), "r1", NOW)).ok
    refused = await q.admit(message(2), "r2", NOW)
    assert refused.reset_at == datetime(2026, 11, 29, tzinfo=UTC) == next_reset(NOW)
    tomorrow = next_reset(NOW).timestamp() + 1
    assert (await q.admit(message(3), "r3", tomorrow)).ok


async def test_the_concurrency_slot_is_taken_and_freed(redis):
    q = Quotas(redis, policy(concurrent_per_user=2))
    assert (await q.admit(message(1), "r1", NOW)).ok
    assert (await q.admit(message(2), "r2", NOW)).ok
    third = await q.admit(message(3), "r3", NOW)
    assert (third.ok, third.scope, third.limit, third.reset_at) == (False, "concurrent", 2, None)
    assert (await q.admit(message(3, user="U2"), "r3b", NOW)).ok  # another user's own slots
    await q.release(message(1), "r1")
    assert (await q.admit(message(4), "r4", NOW)).ok
    # a slot never released (its worker died) lapses
    assert (await q.admit(message(5), "r5", NOW + 16 * 60)).ok


async def test_refusals_are_counted_in_the_metrics(redis):
    q = Quotas(redis, policy(images_per_user_per_day=1))
    await q.admit(message(1), "r1", NOW)
    await q.admit(message(2), "r2", NOW)
    assert q.metrics.quota_refusals.labels("user")._value.get() == 1


def test_an_unknown_tier_is_a_start_up_error_naming_the_key(tmp_path: Path):
    path = tmp_path / "policy.toml"
    path.write_text('[tiers.free]\nimages_per_user_per_day = 10\n'
                    '[plans]\ndefault = "free"\n[plans.workspaces]\nT0123 = "gold"\n')
    with pytest.raises(ConfigError, match=r"plans\.workspaces\.T0123: unknown tier 'gold'"):
        load_policy(path)
    path.write_text('[plans]\ndefault = "pro"\n')
    with pytest.raises(ConfigError, match=r"plans\.default: unknown tier 'pro'"):
        load_policy(path)
    path.write_text('[tiers.free]\nimages_per_user_per_day = -1\n')
    with pytest.raises(ConfigError, match=r"tiers\.free\.images_per_user_per_day"):
        load_policy(path)
    path.write_text('[tiers.free]\nimages_per_day = 3\n')  # a misspelt key is not ignored
    with pytest.raises(ConfigError, match=r"tiers\.free\.images_per_day"):
        load_policy(path)


async def test_usage_reports_the_day_per_workspace_and_user(redis, tmp_path: Path):
    pol = policy()
    q = Quotas(redis, pol)
    now = time.time()
    await q.admit(message(1, images=2), "r1", now)
    await q.admit(message(2, user="U2"), "r2", now)
    await q.admit(message(3, workspace="TPAID"), "r3", now)
    rows = await usage(redis, pol, now)
    assert [(r.workspace, r.tier, r.images, r.users) for r in rows] == [
        ("TPAID", "paid", 1, {"U1": 1}), ("TQ", "free", 3, {"U1": 2, "U2": 1})]
    env = cli_env(tmp_path)
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('[tiers.free]\nimages_per_workspace_per_day = 100\n[tiers.paid]\n'
                           '[plans]\ndefault = "free"\n[plans.workspaces]\nTPAID = "paid"\n')
    env["MIRU_POLICY_FILE"] = str(policy_file)
    out = miru(env, "usage", "--json", timeout=60)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert [(w["workspace"], w["tier"], w["images"], w["limit"], w["users"])
            for w in shown["workspaces"]] == [("TPAID", "paid", 1, 0, {"U1": 1}),
                                               ("TQ", "free", 3, 100, {"U1": 2, "U2": 1})]
    text = miru(env, "usage", timeout=60)
    assert "slack:TQ  tier free  images 3 of 100" in text.stdout


async def test_the_gateway_refuses_in_the_thread_audits_and_fails_closed(redis, tmp_path: Path):
    from dataclasses import replace

    from tests.unit.gateway_fakes import make_rig

    rig = make_rig(tmp_path)
    rig.app.ingress.quotas = Quotas(redis, policy(images_per_user_per_day=1))
    assert await rig.gateway.submit(message(1)) == "accepted"
    assert await rig.gateway.submit(message(2)) == "refused"
    approved = replace(message(1), event_id="E1:review:c1", review_case="c1")
    assert await rig.gateway.submit(approved) == "accepted"  # counted when first sent
    assert [m.message_id for m in rig.queue.jobs] == ["m1", "m1"]
    (reply,) = rig.platform.replies
    assert "limit of 1 images" in reply.text and "UTC" in reply.text
    assert [(r["kind"], r["detail"]["scope"]) for r in rig.audit_lines()
            if r["kind"] == "quota_refused"] == [("quota_refused", "user")]
    down = Redis.from_url("redis://127.0.0.1:1/0")
    rig.app.ingress.quotas = Quotas(down, policy(images_per_user_per_day=1))
    try:
        assert await rig.gateway.submit(message(3)) == "unavailable"  # nothing uncounted queued
    finally:
        await down.aclose()
    assert len(rig.queue.jobs) == 2


async def test_a_refund_gives_back_exactly_what_was_counted_once(redis):
    q = Quotas(redis, policy(images_per_user_per_day=3, concurrent_per_user=1))
    assert (await q.admit(message(1, images=2), "r1", NOW)).ok
    assert await q.refund(message(1, images=2), "r1", NOW) == 2
    assert await q.refund(message(1, images=2), "r1", NOW) == 0  # a second refund: nothing
    assert await q.refund(message(9), "never-counted", NOW) == 0
    # both images and the concurrency slot are back: three images fit again
    assert (await q.admit(message(2, images=3), "r2", NOW)).ok
    day = day_of(NOW)
    assert int(await redis.get(keys.quota_user_day("slack", "TQ", day, "U1"))) == 3


async def test_the_gateway_refunds_a_request_the_queue_could_not_take(redis, tmp_path: Path):
    from tests.unit.gateway_fakes import make_rig

    rig = make_rig(tmp_path)
    rig.app.ingress.quotas = Quotas(redis, policy(images_per_user_per_day=1))
    rig.queue.down = True
    assert await rig.gateway.submit(message(1)) == "unavailable"
    assert "can't work right now" in rig.platform.replies[-1].text
    rig.queue.down = False
    # the user was told to try again; trying again must not hit the limit the failed try spent
    assert await rig.gateway.submit(message(2)) == "accepted"
    assert [m.message_id for m in rig.queue.jobs] == ["m2"]


async def test_a_worker_frees_the_slot_when_done_and_keeps_it_for_a_job_handed_back(
        redis, make_settings, counting_engine, tmp_path: Path):
    """A job another worker will run (this one stopped past its drain time, or was killed) is
    still in progress: its concurrency slot stays taken; a job that ran to its end frees it."""
    from bot.app import build_app
    from bot.core.pipeline import request_id_for
    from tests.fakes import FakeConversation, FakePlatform

    entered, gate = asyncio.Event(), asyncio.Event()

    class Held(FakeConversation):
        async def status(self, status) -> None:  # the pipeline's first step: wait here
            entered.set()
            await gate.wait()
            await super().status(status)

    class HeldPlatform(FakePlatform):
        def conversation(self, message: IncomingMessage) -> FakeConversation:
            return Held(message, self)

    settings = make_settings("[tiers.default]\nconcurrent_per_user = 1\n")
    app = build_app(settings, engine=counting_engine)
    first, second = message(1, images=0), message(2, images=0)
    running, rid = keys.quota_running("slack", "TQ", "U1"), request_id_for(first)
    platforms = {"slack": HeldPlatform()}
    try:
        assert app.quotas is not None
        assert (await app.quotas.admit(first, rid)).ok
        job = asyncio.create_task(app.run_job(platforms, first))
        await asyncio.wait_for(entered.wait(), 20)
        job.cancel()  # what a stopping worker does to a job it hands back
        await asyncio.gather(job, return_exceptions=True)
        assert await redis.zscore(running, rid) is not None
        assert not (await app.quotas.admit(second, request_id_for(second))).ok  # still busy

        gate.set()  # the next worker runs it to its end: the slot is free again
        await asyncio.wait_for(app.run_job(platforms, first), 30)
        assert await redis.zscore(running, rid) is None
        assert (await app.quotas.admit(second, request_id_for(second))).ok
    finally:
        await app.close()


async def test_a_job_for_a_platform_this_worker_does_not_serve_is_queued_again_not_dropped(
        redis, make_settings, counting_engine):
    """Before issue 19 such a job was dropped ("no adapter for platform ...") with its slot
    freed and its images still counted. A worker reads only its platforms' streams now; a job
    that is in another's anyway goes back to its own platform's stream, where it waits (its
    slot stays taken: the request is still queued) until a worker that serves it runs it."""
    from bot.app import build_app
    from bot.core.pipeline import request_id_for

    app = build_app(make_settings("[tiers.default]\nconcurrent_per_user = 1\n"),
                    engine=counting_engine)
    first = message(1, images=0)
    rid = request_id_for(first)
    stream = keys.job_stream(first.platform)
    try:
        assert app.quotas is not None
        assert (await app.quotas.admit(first, rid)).ok
        await app.run_job({}, first)
        [(_, fields)] = await redis.xrange(stream)
        assert load_message(fields[b"msg"]) == first
        assert await redis.zscore(keys.quota_running("slack", "TQ", "U1"), rid) is not None
        assert counting_engine.requests == []
    finally:
        await redis.delete(stream, keys.job_platforms())
        await app.close()
