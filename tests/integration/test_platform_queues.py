"""One job stream per platform (issue 19): a worker takes only the jobs of the platforms it
serves; a job no live worker serves waits where operators see it, and past the limit goes to
the dead letters, its user told by the next worker that serves the platform; jobs left in the
stream every platform shared before are moved to their platforms' streams."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot import keys
from bot.jobs.legacy import adopt_legacy
from bot.jobs.unserved import UnservedJobs
from bot.jobs.worker import Worker
from bot.models import IncomingMessage
from bot.stores.codec import dump_message
from tests.fakes import job_queue as queue
from tests.integration.test_queue import msg

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis


def discord(n: int) -> IncomingMessage:
    return replace(msg(n), platform="discord", workspace="G1", message_id=f"d{n}",
                   event_id=f"D{n}")


async def test_each_worker_takes_only_the_platforms_it_serves(redis, stream):
    gateway = queue(redis, stream, "gateway", ())
    slack_worker = queue(redis, stream, "s", ("slack",))
    discord_worker = queue(redis, stream, "d", ("discord",))
    for q in (slack_worker, discord_worker):
        await q.ensure_group()
    for n in range(6):
        await gateway.enqueue(msg(n))
        await gateway.enqueue(discord(n))
    ran: dict[str, list[IncomingMessage]] = {"s": [], "d": []}

    def handler(name: str):
        async def handle(m: IncomingMessage) -> None:
            ran[name].append(m)
        return handle

    stop = asyncio.Event()
    tasks = [asyncio.create_task(Worker(q, handler(q.consumer), block_ms=20).run(stop))
             for q in (slack_worker, discord_worker)]
    try:
        for _ in range(1000):
            if len(ran["s"]) + len(ran["d"]) == 12:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert sorted(m.message_id for m in ran["s"]) == [f"m{n}" for n in range(6)]
    assert sorted(m.message_id for m in ran["d"]) == [f"d{n}" for n in range(6)]
    assert (await gateway.stats()).pending == 0


async def test_a_take_over_several_platforms_stays_near_the_count(redis, stream):
    q = queue(redis, stream, "both", ("slack", "discord"))
    await q.ensure_group()
    for n in range(4):
        await q.enqueue(msg(n))
        await q.enqueue(discord(n))
    got = await q.take(block_ms=50, count=3, claim=False)
    assert 3 <= len(got) <= 4  # two from each stream at most: one more than asked
    assert {j.message.platform for j in got} == {"slack", "discord"}
    assert all(j.stream == q.stream_for(j.message.platform) for j in got)


async def test_jobs_no_live_worker_serves_are_reported_per_platform(redis, stream):
    slack_worker = queue(redis, stream, "s", ("slack",))
    await slack_worker.ensure_group()
    await slack_worker.seen()
    await slack_worker.enqueue(msg(1))
    await slack_worker.enqueue(discord(1))
    await slack_worker.enqueue(discord(2))
    rows = {r.platform: r for r in await slack_worker.platform_jobs()}
    assert (rows["slack"].queued, rows["slack"].workers, rows["slack"].unserved) == (1, 1, False)
    assert (rows["discord"].queued, rows["discord"].workers) == (2, 0)
    assert rows["discord"].unserved
    assert rows["discord"].reason.startswith("no worker serves discord: 2 job(s) waiting")
    discord_worker = queue(redis, stream, "d", ("discord",))
    await discord_worker.seen()
    rows = {r.platform: r for r in await slack_worker.platform_jobs()}
    assert not rows["discord"].unserved and rows["discord"].reason == ""
    await discord_worker.presence.gone()  # a clean stop: unserved again at once
    rows = {r.platform: r for r in await slack_worker.platform_jobs()}
    assert rows["discord"].unserved


class Recorder:
    def __init__(self) -> None:
        self.dead: list[tuple[IncomingMessage, str, float]] = []
        self.told: list[IncomingMessage] = []

    async def on_dead(self, message: IncomingMessage, dead_id: str, queued_at: float) -> None:
        self.dead.append((message, dead_id, queued_at))

    async def tell(self, message: IncomingMessage) -> None:
        self.told.append(message)


async def _old(redis: Redis, base: str, message: IncomingMessage, age_s: float) -> str:
    ms = int((time.time() - age_s) * 1000)
    await redis.xadd(keys.job_stream(message.platform, base),
                     {"msg": dump_message(message), "attempts": b"0"}, id=f"{ms}-0")
    await redis.sadd(keys.job_platforms(base), message.platform)
    return f"{ms}-0"


async def test_the_sweep_moves_only_old_jobs_of_unserved_platforms(redis, stream):
    slack_worker = queue(redis, stream, "s", ("slack",))
    await slack_worker.ensure_group()
    await slack_worker.seen()
    old_discord = await _old(redis, stream, discord(1), 700)
    await _old(redis, stream, msg(1), 700)  # as old, but a live worker serves Slack
    await slack_worker.enqueue(discord(2))  # unserved, but young
    seen = Recorder()
    sweep = UnservedJobs(slack_worker, max_wait_s=600, on_dead=seen.on_dead, tell=seen.tell)
    assert await sweep.sweep() == 1
    [(message, dead_id, queued_at)] = seen.dead
    assert message == discord(1) and abs(queued_at - (time.time() - 700)) < 5
    [dead] = await slack_worker.dead.list()
    assert (dead.id, dead.job_id, dead.reason, dead.message) == (dead_id, old_discord,
                                                                 "unserved", discord(1))
    rows = {r.platform: r for r in await slack_worker.platform_jobs()}
    assert (rows["discord"].queued, rows["discord"].pending) == (1, 0)  # the young one waits
    assert rows["slack"].queued == 1
    assert await sweep.sweep() == 0  # nothing more is old enough
    told = keys.job_unserved_tell("discord", f"{stream}:dead")
    assert await redis.lrange(told, 0, -1) == [dead_id.encode()]
    # The next Discord worker tells the user; a Slack worker tells nobody of Discord's.
    assert await sweep.tell_waiting() == 0
    discord_worker = queue(redis, stream, "d", ("discord",))
    teller = UnservedJobs(discord_worker, max_wait_s=600, on_dead=seen.on_dead, tell=seen.tell)
    assert await teller.tell_waiting() == 1 and seen.told == [discord(1)]
    assert await teller.tell_waiting() == 0


async def test_no_sweep_while_a_worker_serves_the_platform(redis, stream):
    discord_worker = queue(redis, stream, "d", ("discord",))
    await discord_worker.ensure_group()
    await discord_worker.seen()
    await _old(redis, stream, discord(1), 700)
    seen = Recorder()
    sweep = UnservedJobs(queue(redis, stream, "s", ("slack",)), max_wait_s=600,
                         on_dead=seen.on_dead, tell=seen.tell)
    assert await sweep.sweep() == 0 and seen.dead == []
    [job] = await discord_worker.take(block_ms=50)
    assert job.message == discord(1)


async def test_an_operator_retry_is_not_told_as_unanswered(redis, stream):
    slack_worker = queue(redis, stream, "s", ("slack",))
    await _old(redis, stream, discord(1), 700)
    seen = Recorder()
    sweep = UnservedJobs(slack_worker, max_wait_s=600, on_dead=seen.on_dead, tell=seen.tell)
    assert await sweep.sweep() == 1
    [(_, dead_id, _)] = seen.dead
    assert await slack_worker.retry_dead(dead_id)  # miru jobs retry: it waits again
    teller = UnservedJobs(queue(redis, stream, "d", ("discord",)), max_wait_s=600,
                          on_dead=seen.on_dead, tell=seen.tell)
    assert await teller.tell_waiting() == 0 and seen.told == []


async def test_jobs_of_the_old_shared_stream_move_to_their_platforms(redis, stream):
    old = f"{stream}:legacy"
    q = queue(redis, stream, "new", ("slack", "discord"), claim_idle_ms=60_000)
    await redis.xgroup_create(old, "g", id="0", mkstream=True)
    for m in (msg(1), discord(1), msg(2), discord(2)):
        await redis.xadd(old, {"msg": dump_message(m), "attempts": b"1"})
    await redis.xadd(old, {"msg": b"{not json"})
    # an old worker still runs msg(1); discord(1) was taken by one that died long ago
    await redis.xreadgroup("g", "old-live", {old: ">"}, count=1)
    await redis.xreadgroup("g", "old-dead", {old: ">"}, count=1)
    rows = await redis.xpending_range(old, "g", min="-", max="+", count=10)
    dead_id = next(r["message_id"] for r in rows if r["consumer"] == b"old-dead")
    await redis.xclaim(old, "g", "old-dead", 0, [dead_id], idle=120_000, justid=True)
    try:
        assert await adopt_legacy(q, stream=old) == 3
        left = [m for _, m in await redis.xrange(old)]
        assert len(left) == 1  # the one a live old worker runs stays with it
        got = await q.take(block_ms=50, count=10, claim=False)
        got += await q.take(block_ms=50, count=10, claim=False)
        assert sorted(j.message.message_id for j in got) == ["d1", "d2", "m2"]
        assert {j.attempts for j in got} == {2}  # the failed try it had, plus this delivery
        assert await adopt_legacy(q, stream=old) == 0
    finally:
        await redis.delete(old)
    assert await adopt_legacy(q, stream=old) == 0  # gone: nothing to do


async def test_a_worker_never_sweeps_its_own_platforms_jobs(redis, stream):
    """After an outage the first worker to start has not beaten yet: the jobs that waited
    for it are its own to answer, not to bury."""
    discord_worker = queue(redis, stream, "d", ("discord",))
    await _old(redis, stream, discord(1), 700)
    seen = Recorder()
    sweep = UnservedJobs(discord_worker, max_wait_s=600, on_dead=seen.on_dead, tell=seen.tell)
    assert await sweep.sweep() == 0 and seen.dead == []
    await discord_worker.ensure_group()
    [job] = await discord_worker.take(block_ms=50)
    assert job.message == discord(1)
