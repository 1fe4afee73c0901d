"""The worker against the real Redis server: heartbeats keep a slow job its own, only errors worth
retrying are retried, and a job given up on reaches the ``on_give_up`` hook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.errors import DeliveryFailed, EngineBusy, StoreUnavailable
from bot.jobs.queue import JobQueue
from bot.jobs.worker import Worker, is_retryable
from bot.models import IncomingMessage
from tests.integration.test_queue import (
    _run_worker,
    _until_async_pending_zero,
    msg,
    queue,
    slack,
)

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis


async def test_a_slow_job_stays_with_its_live_worker_and_moves_when_it_dies(redis, stream):
    claim_ms = 400
    q = queue(redis, stream, "w1")
    await q.ensure_group()
    await q.enqueue(msg(1))
    started, runs = asyncio.Event(), []

    async def slow(m: IncomingMessage) -> None:
        runs.append(m.message_id)
        started.set()
        await asyncio.Event().wait()  # runs far longer than claim_idle_ms

    task = asyncio.create_task(Worker(q, slow, claim_idle_ms=claim_ms, block_ms=20).run(
        asyncio.Event()))
    await asyncio.wait_for(started.wait(), 10)
    other = queue(redis, stream, "w2")
    deadline = time.monotonic() + 4 * claim_ms / 1000
    while time.monotonic() < deadline:  # four claim periods: a job with no heartbeat is taken
        assert await other.take(block_ms=20, claim_idle_ms=claim_ms) == []
        await asyncio.sleep(0.03)
    task.cancel()  # the worker dies: its job is neither acked nor re-queued
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await q.pending() == 1
    taken = []
    for _ in range(200):
        taken = await other.take(block_ms=20, claim_idle_ms=claim_ms)
        if taken:
            break
        await asyncio.sleep(0.02)
    assert [(j.message, j.attempts) for j in taken] == [(msg(1), 2)]
    assert runs == ["m1"]


def test_the_claim_idle_time_must_leave_room_for_missed_heartbeats():
    with pytest.raises(ValueError, match="3 x"):
        Worker(object(), lambda m: None, claim_idle_ms=1000, heartbeat_ms=400)  # type: ignore
    assert Worker(object(), lambda m: None).heartbeat_s == 10.0  # type: ignore


@pytest.mark.parametrize(("exc", "retry"), [
    (StoreUnavailable("down"), True),
    (DeliveryFailed("rate limited", retryable=True), True),
    (RedisConnectionError("reset"), True),
    (ConnectionError("reset"), True),
    (TimeoutError(), True),
    (DeliveryFailed("channel_not_found"), False),
    (EngineBusy("429"), False),
    (ValueError("bug"), False),
    (KeyError("bug"), False),
])
def test_only_errors_worth_retrying_are_retried(exc, retry):
    assert is_retryable(exc) is retry


class GaveUp:
    """Records what the worker hands to ``on_give_up``."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[IncomingMessage, BaseException | None]] = []
        self.fail = fail

    async def __call__(self, message: IncomingMessage, exc: BaseException | None) -> None:
        self.calls.append((message, exc))
        if self.fail:
            raise RuntimeError("could not tell the user")


async def test_a_non_retryable_failure_is_acked_at_once_and_given_up(redis, stream, caplog):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    await q.enqueue(msg(2))
    calls: list[str] = []
    gave_up = GaveUp()

    async def handle(m: IncomingMessage) -> None:
        calls.append(m.message_id)
        if m.message_id == "m1":
            raise DeliveryFailed("msg_too_long")

    with caplog.at_level(logging.ERROR, logger="bot.jobs.worker"):
        await _run_worker(Worker(q, handle, block_ms=20, max_attempts=3, on_give_up=gave_up),
                          lambda: len(calls) == 2 and gave_up.calls)
    await _until_async_pending_zero(q)
    await asyncio.sleep(0.1)  # a (wrong) re-run would have been taken by now
    assert sorted(calls) == ["m1", "m2"]
    assert [(m, type(e)) for m, e in gave_up.calls] == [(msg(1), DeliveryFailed)]
    assert await redis.xlen(slack(stream)) == 0
    assert "not retryable" in caplog.text


async def test_after_max_attempts_the_job_is_acked_and_handed_to_on_give_up(
        redis, stream, caplog):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    calls: list[str] = []
    gave_up = GaveUp(fail=True)  # a failing hook must not stop the worker

    async def handle(m: IncomingMessage) -> None:
        calls.append(m.message_id)
        if m.message_id == "m1":
            raise StoreUnavailable("redis down")

    with caplog.at_level(logging.ERROR, logger="bot.jobs.worker"):
        await _run_worker(Worker(q, handle, block_ms=20, max_attempts=2, on_give_up=gave_up),
                          lambda: bool(gave_up.calls))
        await q.enqueue(msg(2))
        await _run_worker(Worker(q, handle, block_ms=20), lambda: "m2" in calls)
    assert calls == ["m1", "m1", "m2"]
    assert [(m, type(e)) for m, e in gave_up.calls] == [(msg(1), StoreUnavailable)]
    assert "dropped" in caplog.text and "on_give_up failed" in caplog.text
    assert await redis.xlen(slack(stream)) == 0
    await _until_async_pending_zero(q)


async def test_a_job_whose_workers_kept_dying_is_handed_to_on_give_up(redis, stream):
    q = queue(redis, stream, "w")
    await q.ensure_group()
    await q.enqueue(msg(1))
    for name in ("d1", "d2"):  # two workers took it and died
        await asyncio.sleep(0.06)
        assert await queue(redis, stream, name, claim_idle_ms=50).take(block_ms=50)
    await asyncio.sleep(0.06)
    handled: list[IncomingMessage] = []
    gave_up = GaveUp()

    async def handle(m: IncomingMessage) -> None:
        handled.append(m)

    await _run_worker(Worker(q, handle, block_ms=20, claim_idle_ms=60, max_attempts=2,
                             on_give_up=gave_up), lambda: bool(gave_up.calls))
    assert handled == [] and gave_up.calls == [(msg(1), None)]
    await _until_async_pending_zero(q)


async def test_a_job_being_settled_is_not_reported_lost_by_the_heartbeat(redis, stream, caplog):
    """Acking deletes the entry while the job's task is still finishing; the heartbeat used to
    find it gone and warn 'no longer this worker's' for every such job under load."""

    class SlowAfterAck(JobQueue):
        async def ack(self, job):
            await super().ack(job)
            await asyncio.sleep(0.3)  # the task goes on a while after its entry is gone

    q = SlowAfterAck(redis, base=stream, group="g", consumer="w", platforms=("slack",))
    await q.ensure_group()
    await q.enqueue(msg(1))
    done: list[str] = []

    async def handle(m: IncomingMessage) -> None:
        done.append(m.message_id)

    caplog.set_level(logging.WARNING, logger="bot.jobs.worker")
    worker = Worker(q, handle, claim_idle_ms=300, heartbeat_ms=50, block_ms=20)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(100):
            if done:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.35)  # several heartbeats while the ack's task finishes
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert done == ["m1"]
    assert "no longer this worker's" not in caplog.text


async def test_a_cancel_swallowed_inside_a_redis_call_still_stops_the_worker(redis, stream):
    """Python 3.11's wait_for (inside redis-py's writes) can swallow a cancel that lands as the
    write completes; the worker must still stop rather than loop forever."""

    class Swallowing(JobQueue):
        async def take(self, **kw):
            try:
                return await super().take(**kw)
            except asyncio.CancelledError:
                return []  # what the lost cancel looks like from the worker's side

    q = Swallowing(redis, base=stream, group="g", consumer="w", platforms=("slack",))
    await q.ensure_group()

    async def handle(m: IncomingMessage) -> None:
        return None

    task = asyncio.create_task(Worker(q, handle, block_ms=200).run(asyncio.Event()))
    await asyncio.sleep(0.1)  # blocked in XREADGROUP
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()
