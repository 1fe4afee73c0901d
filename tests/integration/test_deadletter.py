"""Dead letters and stopping, against the real Redis server: a job given up on lands in the
dead-letter stream (and the hook that tells the user runs), ``retry`` and ``drop`` work on it,
``forget`` covers it, ``stats`` counts queued, pending and dead, and a stopping worker either
finishes its job or hands it to another worker at once; ``miru jobs`` in a subprocess."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot import keys
from bot.errors import DeliveryFailed, StoreUnavailable
from bot.jobs.queue import JobQueue, JobStats
from bot.jobs.worker import Worker
from bot.models import IncomingMessage
from tests.clirun import cli_env, miru
from tests.conftest import sync_redis_client
from tests.integration.test_queue import _run_worker, msg, queue
from tests.integration.test_worker import GaveUp

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis


async def test_a_job_failing_max_attempts_times_is_dead_and_the_user_told(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    gave_up = GaveUp()

    async def handle(m: IncomingMessage) -> None:
        raise StoreUnavailable("redis down")

    await _run_worker(Worker(q, handle, block_ms=20, max_attempts=3, backoff_s=0.01,
                             on_give_up=gave_up), lambda: bool(gave_up.calls))
    [dead] = await q.dead.list()
    assert (dead.reason, dead.attempts, dead.message) == ("exhausted", 3, msg(1))
    assert dead.error == "StoreUnavailable:store_unavailable"
    assert "redis down" not in dead.error  # the type and code, never the text
    assert [m for m, _ in gave_up.calls] == [msg(1)]
    assert await q.stats() == JobStats(queued=0, pending=0, dead=1)


async def test_a_failure_not_worth_retrying_is_dead_at_once(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    runs: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        runs.append(m.message_id)
        raise DeliveryFailed("channel_not_found")

    await _run_worker(Worker(q, handle, block_ms=20), lambda: bool(runs))
    for _ in range(500):
        if await q.dead.count():
            break
        await asyncio.sleep(0.01)
    [dead] = await q.dead.list()
    assert (dead.reason, dead.attempts, runs) == ("failed", 1, ["m1"])


async def test_retry_queues_a_dead_job_again_and_drop_deletes_one(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    for n in (1, 2):
        await q.dead.add(f"0-{n}", msg(n), 3, "exhausted", "StoreUnavailable")
    first, second = await q.dead.list()
    assert await q.retry_dead(first.id) is not None
    assert await q.retry_dead(first.id) is None  # gone from the dead letters
    assert await q.retry_dead("1-1") is None
    assert await q.dead.drop(second.id) and not await q.dead.drop(second.id)
    assert await q.stats() == JobStats(queued=1, pending=0, dead=0)
    [job] = await q.take(block_ms=20)
    assert (job.message, job.attempts) == (msg(1), 1)  # a fresh count of attempts
    assert await q.stats() == JobStats(queued=0, pending=1, dead=0)


async def test_an_unreadable_dead_entry_is_listed_but_not_retried(redis, stream):
    q = queue(redis, stream, "w")
    await redis.xadd(q.dead.stream, {"msg": b"\xff not json", "reason": "failed"})
    [dead] = await q.dead.list()
    assert dead.message is None and dead.attempts == 0
    assert await q.retry_dead(dead.id) is None
    assert await q.dead.count() == 1


async def test_forget_removes_a_users_dead_jobs_too(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.dead.add("0-1", msg(1), 3, "exhausted", "")
    other = IncomingMessage("slack", "T1", "C1", "9.0", "m9", "U2", "x")
    await q.dead.add("0-2", other, 3, "exhausted", "")
    await q.enqueue(msg(3))
    assert await q.forget_user("slack", "U1") == 2
    assert [d.message for d in await q.dead.list()] == [other]


async def test_dead_letters_are_trimmed_by_age(redis, stream):
    q = queue(redis, stream, "w")
    q.dead.max_age_s = 0.05
    await q.dead.add("0-1", msg(1), 3, "exhausted", "")
    await asyncio.sleep(0.1)
    await q.dead.add("0-2", msg(2), 3, "exhausted", "")
    assert [d.message for d in await q.dead.list()] == [msg(2)]


async def test_a_stopping_worker_finishes_a_short_job(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    started, release, done = asyncio.Event(), asyncio.Event(), []

    async def handle(m: IncomingMessage) -> None:
        started.set()
        await release.wait()
        done.append(m.message_id)

    stop = asyncio.Event()
    task = asyncio.create_task(Worker(q, handle, block_ms=20, drain_s=30).run(stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()  # SIGTERM
    await asyncio.sleep(0.05)
    assert not task.done()  # it waits for the job in hand
    release.set()
    await asyncio.wait_for(task, 10)
    assert done == ["m1"]
    assert await q.stats() == JobStats(0, 0, 0)


async def test_a_stopping_worker_releases_a_long_job_to_another_at_once(redis, stream):
    q = queue(redis, stream, "w1", claim_idle_ms=60_000)
    await q.ensure_group()
    await q.enqueue(msg(1))
    started = asyncio.Event()

    async def forever(m: IncomingMessage) -> None:
        started.set()
        await asyncio.Event().wait()

    stop = asyncio.Event()
    task = asyncio.create_task(Worker(q, forever, block_ms=20, drain_s=0.05).run(stop))
    await asyncio.wait_for(started.wait(), 10)
    other = queue(redis, stream, "w2", claim_idle_ms=60_000)
    assert await other.take(block_ms=20) == []  # still the first worker's
    stop.set()
    await asyncio.wait_for(task, 10)
    [job] = await other.take(block_ms=20)  # claimed without waiting the minute out
    assert (job.message, job.attempts) == (msg(1), 2)


def _clear_default_streams() -> None:
    """The deployment's own job keys (``miru jobs`` reads those): one DEL per hash slot."""
    r = sync_redis_client()
    r.delete(keys.job_platforms(), *(keys.job_stream(p) for p in ("slack", "discord")),
             *(keys.job_serving(p) for p in ("slack", "discord")))
    r.delete(keys.JOB_DEAD_STREAM)
    r.delete(keys.LEGACY_JOB_STREAM)
    r.close()


async def test_miru_jobs_lists_retries_and_drops(tmp_path: Path, redis):
    _clear_default_streams()
    try:
        q = JobQueue(redis, consumer="t")
        await q.enqueue(msg(1))
        await q.dead.add("0-1", msg(2), 3, "exhausted", "StoreUnavailable")
        await q.dead.add("0-2", msg(3), 1, "failed", "DeliveryFailed:channel_not_found")
        env = cli_env(tmp_path)
        out = miru(env, "jobs", "--json", timeout=60)
        assert out.returncode == 0, out.stderr
        shown = json.loads(out.stdout)
        assert (shown["queued"], shown["pending"], shown["dead"]) == (1, 0, 2)
        ids = [d["id"] for d in shown["dead_jobs"]]
        assert [d["reason"] for d in shown["dead_jobs"]] == ["exhausted", "failed"]
        assert "question" not in out.stdout  # the message text is never shown
        text = miru(env, "jobs", timeout=60)
        assert "queued 1  pending 0  dead 2" in text.stdout and ids[1] in text.stdout
        assert miru(env, "jobs", "retry", ids[0], timeout=60).returncode == 0
        assert miru(env, "jobs", "drop", ids[1], timeout=60).returncode == 0
        again = miru(env, "jobs", "drop", ids[1], timeout=60)
        assert again.returncode == 1 and "no dead job" in again.stderr
        bad = miru(env, "jobs", "retry", "../etc", timeout=60)
        assert bad.returncode == 2 and "not a job id" in bad.stderr
        assert await q.stats() == JobStats(queued=2, pending=0, dead=0)
    finally:
        _clear_default_streams()


def test_miru_jobs_says_when_redis_is_down(tmp_path: Path):
    env = cli_env(tmp_path)
    env["MIRU_REDIS_URL"] = "redis://127.0.0.1:1/0"
    out = miru(env, "jobs", timeout=60)
    assert out.returncode == 1 and "not reachable" in out.stderr
