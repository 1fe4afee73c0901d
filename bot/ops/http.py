"""``GET /healthz`` and ``GET /metrics``: added to the Slack gateway's HTTP server and served on
their own by ``miru worker --metrics-port P`` (``serve``).

``/healthz`` is 200 when Redis answers, at least one worker was seen in the last minute (its
heartbeat) and every platform with jobs waiting has a live worker that serves it; else 503,
``down`` (Redis) or ``degraded`` with a reason per problem (``no worker serves discord: 4 job(s)
waiting ...``), as JSON. ``/metrics`` reads the shared queue's figures from Redis first (a Redis
that does not answer leaves them as they were), then renders this process's registry in the
Prometheus text format.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.errors import StoreUnavailable
from bot.ops.listen import HttpGuards
from bot.ops.metrics import Metrics
from bot.stores.redis_base import REDIS_FAILURES

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0  # a health check answers within this even when Redis hangs


class PlatformView(Protocol):
    """One platform's figures (``bot.jobs.backlog.PlatformJobs``)."""

    @property
    def platform(self) -> str: ...
    @property
    def waiting(self) -> int: ...
    @property
    def workers(self) -> int: ...
    @property
    def unserved(self) -> bool: ...
    @property
    def reason(self) -> str: ...  # one line naming the platform, when unserved


class QueueView(Protocol):
    async def stats(self) -> Any: ...  # .queued, .pending, .dead
    async def workers_seen(self) -> int: ...
    async def platform_jobs(self) -> Sequence[PlatformView]: ...


class Pinger(Protocol):
    def ping(self) -> Any: ...  # awaitable (redis.asyncio)


@dataclass(frozen=True)
class Ops:
    metrics: Metrics
    queue: QueueView | None = None
    redis: Pinger | None = None


@dataclass(frozen=True)
class Health:
    ok: bool
    redis: bool
    workers: int
    unserved: dict[str, int] = field(default_factory=dict)  # platform -> jobs waiting
    reasons: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "ok" if self.ok else "degraded" if self.redis else "down"

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "status": self.status, "redis": self.redis,
                "workers": self.workers, "unserved": self.unserved,
                "reasons": list(self.reasons)}


_DOWN: tuple[type[BaseException], ...] = (StoreUnavailable, *REDIS_FAILURES, TimeoutError)


async def check(ops: Ops) -> Health:
    if ops.redis is None or ops.queue is None:
        return Health(False, False, 0)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await ops.redis.ping()
            workers = await ops.queue.workers_seen()
            rows = await ops.queue.platform_jobs()
    except _DOWN as exc:
        log.warning("health: Redis unreachable: %s", type(exc).__name__)
        return Health(False, False, 0, reasons=("Redis does not answer",))
    unserved = [row for row in rows if row.unserved]
    reasons = ([] if workers else ["no worker seen in the last minute"])
    reasons += [row.reason for row in unserved]
    return Health(not reasons, True, workers, {row.platform: row.waiting for row in unserved},
                  tuple(reasons))


async def refresh(ops: Ops) -> None:
    """Read the shared figures into the gauges (best effort)."""
    if ops.queue is None:
        return
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            stats = await ops.queue.stats()
            workers = await ops.queue.workers_seen()
            rows = await ops.queue.platform_jobs()
    except _DOWN as exc:
        log.warning("metrics: queue figures unavailable: %s", type(exc).__name__)
        return
    m = ops.metrics
    m.jobs_queued.set(stats.queued)
    m.jobs_pending.set(stats.pending)
    m.jobs_dead_letters.set(stats.dead)
    m.workers_seen.set(workers)
    for row in rows:
        m.platform_jobs_waiting.labels(row.platform).set(row.waiting)
        m.platform_workers.labels(row.platform).set(row.workers)


def add_routes(application: web.Application, ops: Ops) -> None:
    async def healthz(_: web.Request) -> web.Response:
        health = await check(ops)
        return web.json_response(health.as_dict(), status=200 if health.ok else 503)

    async def metrics(_: web.Request) -> web.Response:
        await refresh(ops)
        body = ops.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    application.router.add_get("/healthz", healthz)
    application.router.add_get("/metrics", metrics)


async def serve(ops: Ops, *, host: str, port: int, guards: HttpGuards | None = None
                ) -> tuple[web.AppRunner, int]:
    """Serve the two endpoints alone (with ``bot.ops.listen``'s guards); returns the runner (to
    clean up) and the bound port. ``ListenError`` when the port cannot be bound."""
    from bot.ops import listen

    application = web.Application()
    add_routes(application, ops)
    return await listen.serve(application, host=host, port=port,
                              guards=guards or listen.HttpGuards())
