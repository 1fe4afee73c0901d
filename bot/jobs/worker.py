"""The worker loop: take jobs from the shared queue, run them concurrently, ack when done.

Delivery is at least once (a job whose worker died is claimed by another), so handlers must be
idempotent; the pipeline's reply claim makes a job run twice answer once.

Failures: a handler that raises an error worth retrying (``MiruError.retryable``, e.g.
``StoreUnavailable`` or a ``DeliveryFailed(retryable=True)``, or a Redis/socket connection
error) is re-queued until ``max_attempts`` deliveries; anything else is acknowledged at once
and logged, never re-run silently. A job given up on (not retryable, out of attempts, or
delivered too often because its workers died) is moved to the dead-letter stream
(``JobQueue.bury``; ``miru jobs retry|drop``), logged with its id, and handed to the optional
``on_give_up(message, exc)`` hook (``exc`` is None in the last case), which the App uses to tell
the user.

Stopping (SIGTERM sets ``stop``): the worker takes no new job and gives the running ones
``drain_s`` to finish; any still running then are cancelled and released (``JobQueue.release``)
so another worker claims them within ``CLAIM_EVERY_S`` (a second), not after ``claim_idle_ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import MiruError, StoreUnavailable
from bot.jobs.deadletter import Reason
from bot.jobs.queue import CLAIM_IDLE_MS, Job, JobQueue
from bot.models import IncomingMessage
from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

Handler = Callable[[IncomingMessage], Awaitable[None]]
GiveUp = Callable[[IncomingMessage, BaseException | None], Awaitable[None]]

CLAIM_EVERY_S = 1.0  # a released job waits at most this long for another worker
PRUNE_EVERY_S = 3600.0  # deleting stopped workers' consumers from the group (JobQueue)

_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def is_retryable(exc: BaseException) -> bool:
    """True when running the same job again later may succeed."""
    if isinstance(exc, MiruError):
        return exc.retryable
    return isinstance(exc, _CONNECTION_ERRORS)


class Worker:
    """Runs ``handle`` on queued messages, at most ``concurrency`` at a time.

    Heartbeat rule: while a job runs, the worker resets its idle time every ``heartbeat_ms``
    (``JobQueue.touch``); other workers claim only jobs idle longer than ``claim_idle_ms``. So
    ``claim_idle_ms`` must be at least 3 x ``heartbeat_ms`` (the default heartbeat is a sixth of
    it): a job is claimed only after its worker missed several heartbeats in a row (it died, or
    its event loop is blocked), never because it runs long (engines may take minutes)."""

    def __init__(self, queue: JobQueue, handle: Handler, *, concurrency: int = 4,
                 claim_idle_ms: int = CLAIM_IDLE_MS, heartbeat_ms: int | None = None,
                 max_attempts: int = 3, block_ms: int = 1000, backoff_s: float = 1.0,
                 on_give_up: GiveUp | None = None, drain_s: float = 30.0,
                 metrics: Metrics | None = None) -> None:
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        heartbeat_ms = max(1, claim_idle_ms // 6) if heartbeat_ms is None else heartbeat_ms
        if heartbeat_ms < 1 or claim_idle_ms < 3 * heartbeat_ms:
            raise ValueError(f"claim_idle_ms ({claim_idle_ms}) must be at least 3 x "
                             f"heartbeat_ms ({heartbeat_ms})")
        self.queue = queue
        self.handle = handle
        self.concurrency = concurrency
        self.claim_idle_ms = claim_idle_ms
        self.heartbeat_s = heartbeat_ms / 1000
        self.max_attempts = max_attempts
        self.block_ms = block_ms
        self.backoff_s = backoff_s
        self.on_give_up = on_give_up
        self.drain_s = drain_s
        self.metrics = metrics or Metrics()
        # Jobs being acked, re-queued or buried: their entries leave the group's pending list
        # while their tasks still run, which the heartbeat must not report as lost.
        self._settling: set[tuple[str, str]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then give the jobs in hand ``drain_s`` to finish and
        release the rest. Cancelled, it cancels its jobs without acking them (another worker
        claims them, as if it died)."""
        running: dict[asyncio.Task[None], Job] = {}
        # The heartbeat stops on this event, not only on cancel: on Python 3.11 a cancel that
        # lands as a Redis write finishes is lost (asyncio.wait_for, which redis-py uses for
        # every write when socket_timeout is set, swallows it: CPython gh-86296), and a
        # heartbeat loop that never ends would keep ``run`` from returning.
        ended = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(running, ended), name="worker-heartbeat")
        try:
            await self._loop(stop, running)
            if running:
                await asyncio.wait(list(running), timeout=self.drain_s)
            await self._release(running)
        finally:
            ended.set()
            for task in (beat, *running):
                task.cancel()
            await asyncio.gather(beat, *running, return_exceptions=True)
            with contextlib.suppress(StoreUnavailable):
                await self.queue.presence.gone()  # its platforms show unserved at once

    async def _loop(self, stop: asyncio.Event, running: dict[asyncio.Task[None], Job]) -> None:
        delay = self.backoff_s
        next_claim = 0.0  # when to look for jobs idle in dead workers' hands again
        me = asyncio.current_task()
        while not stop.is_set():
            if me is not None and me.cancelling():
                # A cancel that a Redis write swallowed (the gh-86296 note in ``run``) is
                # still counted on the task: honour it, or the worker would never stop.
                raise asyncio.CancelledError
            free = self.concurrency - len(running)
            if free <= 0:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            # Jobs to claim (a dead worker's, idle claim_idle_ms; or released by a stopping
            # worker) are looked for at most every CLAIM_EVERY_S; new jobs on every pass.
            claim = time.monotonic() >= next_claim
            try:
                jobs = await self.queue.take(block_ms=self.block_ms, count=free,
                                             claim_idle_ms=self.claim_idle_ms, claim=claim)
            except StoreUnavailable as exc:
                log.warning("job queue unavailable, retrying in %.1fs: %s", delay, exc.detail)
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = self.backoff_s
            if claim and not any(job.attempts > 1 for job in jobs):
                next_claim = time.monotonic() + min(CLAIM_EVERY_S, self.heartbeat_s)
            held = {job.ref for job in running.values()}
            for job in jobs:
                if job.ref in held:  # its own, still being settled: claimed back while slow
                    continue
                task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
                running[task] = job
                task.add_done_callback(functools.partial(self._forget, running))

    def _forget(self, running: dict[asyncio.Task[None], Job], task: asyncio.Task[None]) -> None:
        job = running.pop(task, None)
        if job is not None:
            self._settling.discard(job.ref)

    async def _release(self, running: dict[asyncio.Task[None], Job]) -> None:
        left = {task: job for task, job in running.items() if not task.done()}
        if not left:
            return
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        try:
            await self.queue.release(list(left.values()))
            log.warning("stopping: released %d unfinished job(s) to other workers", len(left))
        except StoreUnavailable as exc:
            log.warning("stopping: could not release jobs (claimed after the idle time): %s",
                        exc.detail)

    async def _heartbeat(self, running: dict[asyncio.Task[None], Job],
                         ended: asyncio.Event) -> None:
        """Every ``heartbeat_ms``, tell Redis this worker and its running jobs are alive;
        until ``ended`` is set."""
        lost: set[tuple[str, str]] = set()
        next_prune = time.monotonic()
        while not ended.is_set():
            try:
                await self.queue.seen()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    gone = await self.queue.prune_consumers()
                    if gone:
                        log.info("deleted %d consumer(s) of stopped workers from the job "
                                 "group", len(gone))
            except StoreUnavailable as exc:
                log.warning("worker heartbeat failed: %s", exc.detail)
            await _sleep_or_stop(ended, self.heartbeat_s)
            if ended.is_set():
                return
            jobs = [job for job in running.values()
                    if job.ref not in lost and job.ref not in self._settling]
            if not jobs:
                continue
            try:
                kept = {job.ref for job in await self.queue.touch(jobs)}
            except StoreUnavailable as exc:
                log.warning("job heartbeat failed: %s", exc.detail)
                continue
            still = {job.ref for job in running.values()} - self._settling
            for ref in ({job.ref for job in jobs} - kept) & still:
                lost.add(ref)
                log.warning("job %s is no longer this worker's (claimed by another worker "
                            "or forgotten); it runs on", ref[1])

    async def _run_one(self, job: Job) -> None:
        if job.attempts > self.max_attempts:
            log.error("job %s dropped: delivered %d times (limit %d), its workers died",
                      job.id, job.attempts, self.max_attempts)
            await self._give_up(job, None, "workers_died")
            return
        self.metrics.jobs_in_flight.inc()
        try:
            await self.handle(job.message)
        except Exception as exc:
            self.metrics.jobs_failed.inc()
            if not is_retryable(exc):
                log.exception("job %s failed (attempt %d), not retryable: dropped", job.id,
                              job.attempts)
                await self._give_up(job, exc, "failed")
            elif job.attempts >= self.max_attempts:
                log.exception("job %s failed (attempt %d of %d); dropped", job.id,
                              job.attempts, self.max_attempts)
                await self._give_up(job, exc, "exhausted")
            else:
                log.warning("job %s failed (attempt %d of %d); will retry: %s", job.id,
                            job.attempts, self.max_attempts, type(exc).__name__)
                await self._settle(job, retry=True)
            return
        finally:
            self.metrics.jobs_in_flight.dec()
        self.metrics.jobs_done.inc()
        await self._settle(job, retry=False)

    async def _give_up(self, job: Job, exc: BaseException | None, reason: Reason) -> None:
        """Bury first (a crash then never tells the user twice), then the hook."""
        self._settling.add(job.ref)
        try:
            entry = await self.queue.bury(job, reason, exc)
            log.error("job %s moved to the dead letters as %s (%s)", job.id, entry, reason)
            self.metrics.jobs_dead.labels(reason).inc()
        except StoreUnavailable as exc2:
            log.warning("job %s not buried (will be claimed again): %s", job.id, exc2.detail)
            return
        if self.on_give_up is None:
            return
        try:
            await self.on_give_up(job.message, exc)
        except Exception:
            log.exception("job %s: on_give_up failed", job.id)

    async def _settle(self, job: Job, *, retry: bool) -> None:
        """Ack (or re-queue) the job; if Redis is down it stays pending and is claimed later."""
        self._settling.add(job.ref)
        try:
            if retry:
                await self.queue.retry(job)
            else:
                await self.queue.ack(job)
        except StoreUnavailable as exc:
            log.warning("job %s not settled (will be claimed again): %s", job.id, exc.detail)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
