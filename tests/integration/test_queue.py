"""The Redis Streams job queue and the worker loop, against the real Redis server."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot import keys
from bot.errors import StoreUnavailable
from bot.jobs.queue import JobQueue
from bot.jobs.worker import CLAIM_EVERY_S, Worker
from bot.models import ImageRef, IncomingMessage
from bot.stores.codec import load_message
from tests.fakes import job_queue as queue

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis


def slack(base: str) -> str:
    """The Slack job stream under ``base``."""
    return keys.job_stream("slack", base)


def msg(n: int) -> IncomingMessage:
    return IncomingMessage("slack", "T1", "C1", f"{n}.0", f"m{n}", "U1", f"question {n}",
                           images=(ImageRef("a.png", url="https://files.slack.com/a"),),
                           event_id=f"E{n}")


async def _until(cond, limit_s: float = 10.0) -> None:
    """Wait for a condition the code under test must reach (bounded, never a timing claim)."""
    for _ in range(int(limit_s / 0.01)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_enqueue_take_ack(redis, stream):
    q = queue(redis, stream, "c1")
    await q.ensure_group()
    await q.ensure_group()  # idempotent
    job_id = await q.enqueue(msg(1))
    jobs = await q.take(block_ms=100)
    assert [(j.id, j.message, j.attempts) for j in jobs] == [(job_id, msg(1), 1)]
    assert await q.pending() == 1
    await q.ack(jobs[0])
    assert await q.pending() == 0
    assert await q.take(block_ms=10) == []


async def test_two_consumers_never_share_a_job(redis, stream):
    a, b = queue(redis, stream, "a"), queue(redis, stream, "b")
    await a.ensure_group()
    sent = {await a.enqueue(msg(n)) for n in range(40)}

    async def drain(q: JobQueue) -> list[str]:
        got = []
        while jobs := await q.take(block_ms=20, count=3):
            got += [j.id for j in jobs]
            await asyncio.sleep(0)
        return got

    got_a, got_b = await asyncio.gather(drain(a), drain(b))
    assert not set(got_a) & set(got_b)
    assert sorted(got_a + got_b) == sorted(sent)


async def test_a_dead_consumers_job_is_claimed_by_another(redis, stream):
    dead, alive = queue(redis, stream, "dead"), queue(redis, stream, "alive", claim_idle_ms=50)
    await dead.ensure_group()
    await dead.enqueue(msg(7))
    (taken,) = await dead.take(block_ms=100)  # ... and the process dies without ack
    await asyncio.sleep(0.1)  # let the entry become idle past claim_idle_ms
    (claimed,) = await alive.take(block_ms=10)
    assert (claimed.id, claimed.message, claimed.attempts) == (taken.id, msg(7), 2)
    await alive.ack(claimed)
    assert await alive.pending() == 0


async def test_unreadable_entries_are_dropped_not_fatal(redis, stream, caplog):
    q = queue(redis, stream, "c")
    await q.ensure_group()
    await redis.xadd(slack(stream), {"msg": b"{not json"})
    await redis.xadd(slack(stream), {"other": b"x"})
    await q.enqueue(msg(2))
    with caplog.at_level(logging.ERROR):
        jobs = await q.take(block_ms=100, count=10)
    assert [j.message for j in jobs] == [msg(2)]
    assert "unreadable job" in caplog.text
    assert await q.pending() == 1
    assert await redis.xlen(slack(stream)) == 1  # the unreadable entries were deleted, not kept


async def test_a_deleted_stream_is_recreated(redis, stream):
    q = queue(redis, stream, "c")
    await q.ensure_group()
    await redis.delete(slack(stream))
    assert await q.take(block_ms=10) == []
    await q.enqueue(msg(3))
    assert [j.message for j in await q.take(block_ms=100)] == [msg(3)]


async def test_an_acknowledged_job_is_deleted_from_the_stream(redis, stream):
    q = queue(redis, stream, "c")
    await q.ensure_group()
    await q.enqueue(msg(1))
    (job,) = await q.take(block_ms=100)
    await q.ack(job)
    assert await redis.xlen(slack(stream)) == 0  # the user's text and file URLs are gone
    assert await q.pending() == 0


async def test_a_retried_job_leaves_only_its_new_entry(redis, stream):
    q = queue(redis, stream, "c")
    await q.ensure_group()
    await q.enqueue(msg(1))
    (job,) = await q.take(block_ms=100)
    new_id = await q.retry(job)
    assert [e[0].decode() for e in await redis.xrange(slack(stream))] == [new_id]
    (again,) = await q.take(block_ms=100)
    assert (again.id, again.message, again.attempts) == (new_id, msg(1), 2)


async def test_jobs_older_than_the_max_age_are_trimmed(redis, stream):
    q = queue(redis, stream, "c")
    await q.ensure_group()
    day_old_ms = int((time.time() - keys.JOB_MAX_AGE_S - 60) * 1000)
    await redis.xadd(slack(stream), {"msg": b"old", "attempts": b"0"}, id=f"{day_old_ms}-0")
    recent_ms = int((time.time() - keys.JOB_MAX_AGE_S + 3600) * 1000)
    await redis.xadd(slack(stream), {"msg": b"recent", "attempts": b"0"}, id=f"{recent_ms}-0")
    new_id = await q.enqueue(msg(1))
    ids = [e[0].decode() for e in await redis.xrange(slack(stream))]
    assert ids == [f"{recent_ms}-0", new_id]


async def test_forget_removes_a_users_queued_and_pending_jobs(redis, stream):
    dead = queue(redis, stream, "dead", platforms=("slack", "discord"))
    live = queue(redis, stream, "live", claim_idle_ms=50, platforms=("slack", "discord"))
    await dead.ensure_group()
    await dead.enqueue(msg(1))  # U1, taken by a worker that then dies
    assert await dead.take(block_ms=100)
    await dead.enqueue(msg(2))  # U1, still queued
    other = IncomingMessage("slack", "T1", "C1", "3.0", "m3", "U2", "theirs")
    elsewhere = IncomingMessage("discord", "G1", "C1", "4.0", "m4", "U1", "same id, other app")
    await dead.enqueue(other)
    await dead.enqueue(elsewhere)
    assert await live.forget_user("slack", "U1") == 2
    left = [load_message(f[b"msg"]) for name in ("slack", "discord")
            for _, f in await redis.xrange(keys.job_stream(name, stream))]
    assert [(m.platform, m.user) for m in left] == [("slack", "U2"), ("discord", "U1")]
    await asyncio.sleep(0.1)  # the dead worker's entry is idle past claim_idle_ms
    got = await live.take(block_ms=100, count=10)
    got += await live.take(block_ms=100, count=10)
    assert sorted(j.message.message_id for j in got) == ["m3", "m4"]
    assert await live.forget_user("slack", "nobody") == 0


async def test_touch_keeps_only_this_consumers_jobs(redis, stream):
    a, b = queue(redis, stream, "a"), queue(redis, stream, "b")
    await a.ensure_group()
    await a.enqueue(msg(1))
    await a.enqueue(msg(2))
    (j1,) = await a.take(block_ms=100)
    (j2,) = await b.take(block_ms=100)
    await asyncio.sleep(0.05)
    assert await a.touch([j1, j2]) == [j1]  # b's job is not stolen
    rows = {r["message_id"].decode(): r for r in
            await redis.xpending_range(slack(stream), "g", min="-", max="+", count=10)}
    assert rows[j1.id]["time_since_delivered"] < 50 <= rows[j2.id]["time_since_delivered"]
    assert rows[j1.id]["times_delivered"] == 1  # a heartbeat is not a delivery
    await a.ack(j1)
    assert await a.touch([j1]) == []


async def test_redis_down_is_store_unavailable():
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    try:
        q = JobQueue(down, consumer="c", platforms=("slack",))
        with pytest.raises(StoreUnavailable):
            await q.enqueue(msg(1))
        with pytest.raises(StoreUnavailable):
            await q.take(block_ms=10)
    finally:
        await down.aclose()


async def _run_worker(worker: Worker, done) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await _until(done)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_worker_handles_every_job_once_and_acks(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    for n in range(10):
        await q.enqueue(msg(n))
    seen: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        seen.append(m.message_id)

    await _run_worker(Worker(q, handle, concurrency=3, block_ms=20), lambda: len(seen) == 10)
    assert sorted(seen) == sorted(f"m{n}" for n in range(10))
    assert await q.pending() == 0


async def test_worker_looks_for_jobs_to_claim_about_once_a_second_not_per_job(redis, stream):
    """XAUTOCLAIM on every take cost a round trip per job; a dead worker's job waits the claim
    idle time anyway, so once a heartbeat (at most CLAIM_EVERY_S) is soon enough."""
    q = queue(redis, stream, "w")
    await q.ensure_group()
    for n in range(30):
        await q.enqueue(msg(n))
    takes: list[bool] = []
    real_take = q.take

    async def take(**kw):
        takes.append(kw.get("claim", True))
        return await real_take(**kw)

    q.take = take  # type: ignore[method-assign]
    seen: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        seen.append(m.message_id)

    started = time.monotonic()
    await _run_worker(Worker(q, handle, concurrency=1, block_ms=20), lambda: len(seen) == 30)
    took = time.monotonic() - started
    assert len(takes) >= 30
    assert sum(takes) <= 2 + int(took / CLAIM_EVERY_S), (sum(takes), took)


async def test_worker_runs_up_to_concurrency_jobs_at_once(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    for n in range(6):
        await q.enqueue(msg(n))
    in_flight, peak, finished = [0], [0], []
    release = asyncio.Event()

    async def handle(m: IncomingMessage) -> None:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        await release.wait()
        in_flight[0] -= 1
        finished.append(m.message_id)

    stop = asyncio.Event()
    task = asyncio.create_task(Worker(q, handle, concurrency=3, block_ms=20).run(stop))
    await _until(lambda: in_flight[0] == 3)
    for _ in range(20):  # give the loop chances to (wrongly) start a fourth
        await asyncio.sleep(0.005)
    assert peak[0] == 3
    release.set()
    await _until(lambda: len(finished) == 6)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert peak[0] == 3 and await q.pending() == 0


async def test_worker_retries_a_failing_job_then_succeeds(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    calls: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        calls.append(m.message_id)
        if len(calls) < 2:
            raise StoreUnavailable("transient")  # worth retrying

    await _run_worker(Worker(q, handle, block_ms=20, max_attempts=3), lambda: len(calls) == 2)
    assert calls == ["m1", "m1"]
    await _until_async_pending_zero(q)


async def _until_async_pending_zero(q: JobQueue) -> None:
    for _ in range(500):
        if await q.pending() == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("jobs left pending")


async def test_worker_gives_up_after_max_attempts_and_logs(redis, stream, caplog):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    await q.enqueue(msg(2))
    calls: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        calls.append(m.message_id)
        if m.message_id == "m1":
            raise ConnectionError("always broken")  # retryable, but never recovers

    with caplog.at_level(logging.ERROR, logger="bot.jobs.worker"):
        await _run_worker(Worker(q, handle, block_ms=20, max_attempts=3),
                          lambda: calls.count("m1") == 3 and "dropped" in caplog.text)
    assert calls.count("m1") == 3 and calls.count("m2") == 1
    await _until_async_pending_zero(q)
    assert "always broken" in caplog.text


async def test_worker_claims_a_dead_workers_job(redis, stream):
    dead = queue(redis, stream, "dead")
    await dead.ensure_group()
    await dead.enqueue(msg(5))
    await dead.take(block_ms=100)  # taken, never acked
    seen: list[IncomingMessage] = []

    async def handle(m: IncomingMessage) -> None:
        seen.append(m)

    worker = Worker(queue(redis, stream, "alive"), handle, block_ms=20, claim_idle_ms=50)
    await _run_worker(worker, lambda: bool(seen))
    assert seen == [msg(5)]
    await _until_async_pending_zero(dead)


async def test_worker_drops_a_job_that_killed_too_many_workers(redis, stream, caplog):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    for name in ("d1", "d2"):  # two workers took it and died
        await asyncio.sleep(0.06)
        assert await queue(redis, stream, name, claim_idle_ms=50).take(block_ms=50)
    await asyncio.sleep(0.06)
    seen: list[IncomingMessage] = []

    async def handle(m: IncomingMessage) -> None:
        seen.append(m)

    with caplog.at_level(logging.ERROR, logger="bot.jobs.worker"):
        await _run_worker(Worker(q, handle, block_ms=20, claim_idle_ms=50, max_attempts=2),
                          lambda: "dropped" in caplog.text)
    assert seen == []
    await _until_async_pending_zero(q)


async def test_worker_survives_redis_down_and_stops_on_request(caplog):
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    handled: list[IncomingMessage] = []

    async def handle(m: IncomingMessage) -> None:
        handled.append(m)

    try:
        with caplog.at_level(logging.WARNING, logger="bot.jobs.worker"):
            q = JobQueue(down, consumer="c", platforms=("slack",))
            await _run_worker(Worker(q, handle, backoff_s=0.05),
                              lambda: caplog.text.count("unavailable") >= 2)
    finally:
        await down.aclose()
    assert handled == []


async def test_prune_deletes_only_stopped_consumers_with_nothing_pending(redis, stream):
    """Each process start is a new consumer; the stopped ones are deleted, never one holding a
    job, one whose worker is seen, or this one."""
    old, busy, alive, me = (queue(redis, stream, c) for c in ("old", "busy", "alive", "me"))
    await old.ensure_group()
    for n in range(4):
        await old.enqueue(msg(n))
    for q in (old, alive, me):
        for job in await q.take(block_ms=10):
            await q.ack(job)
    assert len(await busy.take(block_ms=10)) == 1  # never acked: its worker died with it
    await asyncio.sleep(0.15)  # all four idle longer than gone_s below
    await redis.zadd(keys.WORKERS_SEEN, {"alive": time.time()})  # its heartbeat, just now
    try:
        assert await me.prune_consumers(gone_s=0.1) == ["old"]
        left = {r["name"].decode() for r in await redis.xinfo_consumers(slack(stream), "g")}
        assert left == {"busy", "alive", "me"}
        assert await me.pending() == 1
        assert await me.prune_consumers(gone_s=3600) == []  # none idle that long
    finally:
        await redis.zrem(keys.WORKERS_SEEN, "alive")


async def test_prune_on_a_missing_stream_is_nothing(redis, stream):
    assert await queue(redis, stream, "me").prune_consumers() == []
