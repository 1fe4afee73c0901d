"""The worker loop: take jobs from the shared queue, run them concurrently, ack when done.

Delivery is at least once (a job whose worker died is claimed by another), so handlers must be
idempotent; the pipeline's reply claim makes a job run twice answer once. A job that raised is
re-queued until ``max_attempts`` deliveries, then acknowledged and logged as dropped: never
lost silently, never retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.errors import StoreUnavailable
from bot.models import IncomingMessage
from bot.queue import Job, JobQueue

log = logging.getLogger(__name__)

Handler = Callable[[IncomingMessage], Awaitable[None]]


class Worker:
    """Runs ``handle`` on queued messages, at most ``concurrency`` at a time."""

    def __init__(self, queue: JobQueue, handle: Handler, *, concurrency: int = 4,
                 claim_idle_ms: int = 60_000, max_attempts: int = 3, block_ms: int = 1000,
                 backoff_s: float = 1.0) -> None:
        if concurrency < 1 or max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        self.queue = queue
        self.handle = handle
        self.concurrency = concurrency
        self.claim_idle_ms = claim_idle_ms
        self.max_attempts = max_attempts
        self.block_ms = block_ms
        self.backoff_s = backoff_s

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then finish the jobs in hand and return."""
        running: set[asyncio.Task[None]] = set()
        delay = self.backoff_s
        while not stop.is_set():
            free = self.concurrency - len(running)
            if free <= 0:
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                jobs = await self.queue.take(block_ms=self.block_ms, count=free,
                                             claim_idle_ms=self.claim_idle_ms)
            except StoreUnavailable as exc:
                log.warning("job queue unavailable, retrying in %.1fs: %s", delay, exc.detail)
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = self.backoff_s
            for job in jobs:
                task = asyncio.create_task(self._run_one(job), name=f"job-{job.id}")
                running.add(task)
                task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    async def _run_one(self, job: Job) -> None:
        if job.attempts > self.max_attempts:
            log.error("job %s dropped: delivered %d times (limit %d), its workers died",
                      job.id, job.attempts, self.max_attempts)
            await self._settle(job, retry=False)
            return
        try:
            await self.handle(job.message)
        except Exception:
            last = job.attempts >= self.max_attempts
            log.exception("job %s failed (attempt %d of %d)%s", job.id, job.attempts,
                          self.max_attempts, "; dropped" if last else "; will retry")
            await self._settle(job, retry=not last)
            return
        await self._settle(job, retry=False)

    async def _settle(self, job: Job, *, retry: bool) -> None:
        """Ack (or re-queue) the job; if Redis is down it stays pending and is claimed later."""
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
