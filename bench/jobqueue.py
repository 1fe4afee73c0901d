"""Queue overhead: jobs/s and latency from enqueue to a worker's start, and a kill run.

    .venv/bin/python bench/jobqueue.py                 # one Redis (127.0.0.1:6379 DB 13) + cluster
    .venv/bin/python bench/jobqueue.py --only single   # or --only cluster
    .venv/bin/python bench/jobqueue.py --url redis+cluster://host:7000 --only url

The real ``JobQueue`` and ``Worker`` (bot/jobs/) with an engine that answers at once: the
handler records when it started. Workers are separate processes (the clock is the host's, so
start - enqueue times compare across processes).

1. Latency: a paced producer offers ``--rate`` jobs/s (500) for ``--seconds`` (10);
   ``--workers`` worker processes (2) take them, ``--repeat`` times. The handler only notes its
   start time in memory (sent to Redis in batches), so the figure is the queue's: the
   producer's ``XADD`` transaction, Redis, the worker's ``XREADGROUP``, decoding, and the task
   start. Prints jobs/s done and p50/p99/max of enqueue -> start.
2. Load: ``--load-jobs`` (2,000) queued, three worker processes; one is killed with SIGKILL
   half-way (its running jobs are claimed by the others after ``claim_idle_ms``). Each start
   and each finish is counted per job in Redis; an answer counts only when the job wins its
   reply claim (``RedisStateStore.claim_reply``, what the pipeline does before it posts).
   Prints lost (never answered), answered twice (claims won twice: must be 0) and runs twice
   (handler ran again after the kill: expected for the killed worker's jobs). A job the killed
   worker had claimed the reply of but not yet answered is answered by its next run, which
   takes the claim over (the holder's heartbeat stopped); only a kill between the post and
   closing the claim (one Redis command) could answer twice.

Prints figures; not a test. Needs redis-server (the cluster: tests/rediscluster.py).
"""


from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import statistics
import time
import uuid

from bot import keys
from bot.jobs.queue import JobQueue
from bot.jobs.worker import Worker
from bot.models import IncomingMessage
from bot.stores.redis_base import RedisLike
from bot.stores.redis_store import RedisStateStore
from bot.wiring import connect_redis

SINGLE_URL = "redis://127.0.0.1:6379/13"


def _message(run: str, n: int, t: float) -> IncomingMessage:
    return IncomingMessage("slack", "TBENCH", "CBENCH", f"{run}.{n}", f"{run}-{n}", "UBENCH",
                           f"{n} {t!r}", event_id=f"{run}-{n}")


def _keys(run: str) -> tuple[str, str, str, str]:
    tag = f"miru:bench:{{{run}}}"
    return f"{tag}:starts", f"{tag}:finishes", f"{tag}:answers", f"{tag}:latency"


async def _cleanup(redis: RedisLike, base: str, run: str) -> None:
    await redis.delete(keys.job_stream("slack", base), keys.job_platforms(base),
                       keys.job_serving("slack", base), f"{base}:dead")
    for key in _keys(run):
        await redis.delete(key)


# --- worker processes -------------------------------------------------------------------------

def _worker_main(url: str, stream: str, run: str, name: str, concurrency: int,
                 claim_idle_ms: int, work_s: float, seconds: float) -> None:
    asyncio.run(_worker(url, stream, run, name, concurrency, claim_idle_ms, work_s, seconds))


async def _worker(url: str, stream: str, run: str, name: str, concurrency: int,
                  claim_idle_ms: int, work_s: float, seconds: float) -> None:
    redis = connect_redis(url)
    queue = JobQueue(redis, base=stream, group="bench", consumer=name,
                     claim_idle_ms=claim_idle_ms, platforms=("slack",))
    # The claim names this worker; a run after it died takes an unposted claim over (the
    # pipeline's rule, bot/stores/redis_store.py), judged by the same heartbeat the queue uses.
    state = RedisStateStore(redis, holder=name, holder_dead_after_s=claim_idle_ms / 2000)
    starts, finishes, answers, latency = _keys(run)
    await queue.ensure_group()

    waits: list[str] = []  # the latency run: enqueue -> start per job, sent in batches

    async def flush() -> None:
        if waits:
            batch = waits[:]
            del waits[:len(batch)]
            await redis.rpush(latency, *batch)

    async def flusher() -> None:
        while True:
            await asyncio.sleep(0.2)
            await flush()

    async def handle(message: IncomingMessage) -> None:
        started = time.time()
        n, sent = message.text.split()
        if not work_s:
            # An engine that answers at once: only the start is recorded, in memory (a Redis
            # write per job here would weigh on the very loop whose overhead is measured).
            waits.append(f"{n}:{(started - float(sent)) * 1000:.3f}")
            return
        await redis.hincrby(starts, n, 1)
        if work_s:
            await asyncio.sleep(work_s)  # the engine's time (the load run keeps jobs in hand)
        await redis.hincrby(finishes, n, 1)
        if await state.claim_reply(f"{run}:{n}"):  # what the pipeline does before it posts
            await redis.hincrby(answers, n, 1)  # the post
            await state.reply_posted(f"{run}:{n}")  # and what it does after

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    task = asyncio.create_task(Worker(queue, handle, concurrency=concurrency, block_ms=200,
                                      claim_idle_ms=claim_idle_ms, drain_s=5).run(stop))
    flushing = asyncio.create_task(flusher())
    try:
        await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        stop.set()
        await task
    flushing.cancel()
    await flush()
    await redis.aclose()


def _spawn(url: str, stream: str, run: str, name: str, *, concurrency: int,
           claim_idle_ms: int, work_s: float, seconds: float) -> mp.Process:
    proc = mp.get_context("spawn").Process(
        target=_worker_main,
        args=(url, stream, run, name, concurrency, claim_idle_ms, work_s, seconds), daemon=True)
    proc.start()
    return proc


def _stop(procs: list[mp.Process]) -> None:
    for p in procs:
        if p.is_alive():
            os.kill(p.pid, signal.SIGTERM)  # type: ignore[arg-type]
    for p in procs:
        p.join(30)


# --- runs --------------------------------------------------------------------------------------

async def _counts(redis: RedisLike, run: str) -> tuple[dict[int, int], ...]:
    out = []
    for key in _keys(run)[:3]:
        raw = await redis.hgetall(key)
        out.append({int(k): int(v) for k, v in raw.items()})
    return tuple(out)


async def latency_run(url: str, rate: float, seconds: float, workers: int = 2) -> None:
    redis = connect_redis(url)
    run = uuid.uuid4().hex[:10]
    stream = f"miru:bench:{{{run}}}"  # the job keys' base
    total = int(rate * seconds)
    await _cleanup(redis, stream, run)
    producer = JobQueue(redis, base=stream, group="bench", consumer="producer",
                        platforms=("slack",))
    await producer.ensure_group()
    procs = [_spawn(url, stream, run, f"w{i}", concurrency=16, claim_idle_ms=60_000,
                    work_s=0.0, seconds=seconds + 60) for i in range(workers)]
    await asyncio.sleep(3.0)  # the workers start (imports) and block on the stream
    started = time.perf_counter()
    for n in range(total):  # paced: job n leaves at n / rate (no burst after a slow enqueue)
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.enqueue(_message(run, n, time.time()))
    offered_s = time.perf_counter() - started
    latency = _keys(run)[3]
    deadline = time.monotonic() + 60
    while await redis.llen(latency) < total and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    done_s = time.perf_counter() - started
    _stop(procs)
    rows = [v.decode().split(":") for v in await redis.lrange(latency, 0, -1)]
    starts = {int(n) for n, _ in rows}
    values = sorted(float(ms) for _, ms in rows)
    await _cleanup(redis, stream, run)
    await redis.aclose()
    p = statistics.quantiles(values, n=100) if len(values) > 1 else [float("nan")] * 99
    print(f"  offered {total} jobs at {rate:.0f}/s over {offered_s:.2f} s; started "
          f"{len(starts)} ({len(values)} starts) in {done_s:.2f} s = "
          f"{len(values) / done_s:.0f} jobs/s")
    print(f"  enqueue -> worker start ({workers} worker process(es)): p50 {p[49]:.2f} ms  "
          f"p99 {p[98]:.2f} ms  max {values[-1]:.2f} ms  (target p99 <= 5 ms)")


async def load_run(url: str, jobs: int, claim_idle_ms: int, work_s: float) -> None:
    redis = connect_redis(url)
    run = uuid.uuid4().hex[:10]
    stream = f"miru:bench:{{{run}}}"  # the job keys' base
    await _cleanup(redis, stream, run)
    producer = JobQueue(redis, base=stream, group="bench", consumer="producer",
                        platforms=("slack",))
    await producer.ensure_group()
    for n in range(jobs):
        await producer.enqueue(_message(run, n, time.time()))
    started = time.perf_counter()
    procs = [_spawn(url, stream, run, f"w{i}", concurrency=8, claim_idle_ms=claim_idle_ms,
                    work_s=work_s, seconds=300) for i in range(3)]
    victim, killed_at = procs[0], None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        starts, finishes, answers = await _counts(redis, run)
        if killed_at is None and len(finishes) >= jobs // 2:
            os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
            killed_at = len(finishes)
            in_hand = len(starts) - len(finishes)
        if len(answers) >= jobs:
            break
        await asyncio.sleep(0.05)
    took = time.perf_counter() - started
    _stop(procs[1:])
    victim.join(5)
    starts, finishes, answers = await _counts(redis, run)
    stats = await producer.stats()
    await _cleanup(redis, stream, run)
    await redis.aclose()
    lost = [n for n in range(jobs) if answers.get(n, 0) == 0]
    twice = [n for n, c in answers.items() if c > 1]
    reruns = [n for n, c in starts.items() if c > 1]
    print(f"  {jobs} jobs, 3 worker processes (8 at a time each, {work_s * 1000:.0f} ms a job); "
          f"w0 SIGKILLed after {killed_at} finished, holding ~{in_hand}; all answered in "
          f"{took:.1f} s")
    print(f"  lost {len(lost)}  answered twice {len(twice)}  ran twice (the killed worker's, "
          f"claimed after {claim_idle_ms} ms) {len(reruns)}  left in the queue "
          f"{stats.queued + stats.pending}  dead {stats.dead}")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["single", "cluster", "url"], default=None)
    ap.add_argument("--url", default=SINGLE_URL, help="Redis for --only url / single")
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--load-jobs", type=int, default=2000)
    ap.add_argument("--claim-idle-ms", type=int, default=3000)
    ap.add_argument("--work-ms", type=float, default=20.0)
    ap.add_argument("--no-load", action="store_true", help="the latency run only")
    ap.add_argument("--workers", type=int, default=2, help="worker processes, latency run")
    ap.add_argument("--repeat", type=int, default=1, help="latency runs per target")
    args = ap.parse_args()
    targets: list[tuple[str, str | None]] = []
    if args.only in (None, "single"):
        targets.append(("one Redis " + SINGLE_URL, SINGLE_URL if args.only is None else args.url))
    if args.only in (None, "cluster"):
        targets.append(("Redis Cluster, 3 masters (tests/rediscluster.py)", None))
    if args.only == "url":
        targets.append((args.url, args.url))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for label, url in targets:
        cluster = None
        if url is None:
            from tests.rediscluster import LocalCluster

            cluster = LocalCluster().start()
            url = cluster.url
        try:
            print(f"{label}:")
            for _ in range(args.repeat):
                await latency_run(url, args.rate, args.seconds, args.workers)
            if not args.no_load:
                await load_run(url, args.load_jobs, args.claim_idle_ms, args.work_ms / 1000)
        finally:
            if cluster is not None:
                cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
