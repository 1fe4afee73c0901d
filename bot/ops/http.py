"""``GET /healthz`` and ``GET /metrics``: added to the Slack gateway's HTTP server and served on
their own by ``miru worker --metrics-port P`` (``serve``).

``/healthz`` is 200 when Redis answers and at least one worker was seen in the last minute (its
heartbeat), else 503, with the details as JSON. ``/metrics`` reads the shared queue's figures
from Redis first (a Redis that does not answer leaves them as they were), then renders this
process's registry in the Prometheus text format.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.errors import StoreUnavailable
from bot.ops.listen import HttpGuards
from bot.ops.metrics import Metrics
from bot.stores.redis_base import REDIS_FAILURES

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0  # a health check answers within this even when Redis hangs


class QueueView(Protocol):
    async def stats(self) -> Any: ...  # .queued, .pending, .dead
    async def workers_seen(self) -> int: ...


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

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "redis": self.redis, "workers": self.workers}


_DOWN: tuple[type[BaseException], ...] = (StoreUnavailable, *REDIS_FAILURES, TimeoutError)


async def check(ops: Ops) -> Health:
    if ops.redis is None or ops.queue is None:
        return Health(False, False, 0)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await ops.redis.ping()
            workers = await ops.queue.workers_seen()
    except _DOWN as exc:
        log.warning("health: Redis unreachable: %s", type(exc).__name__)
        return Health(False, False, 0)
    return Health(workers > 0, True, workers)


async def refresh(ops: Ops) -> None:
    """Read the shared figures into the gauges (best effort)."""
    if ops.queue is None:
        return
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            stats = await ops.queue.stats()
            workers = await ops.queue.workers_seen()
    except _DOWN as exc:
        log.warning("metrics: queue figures unavailable: %s", type(exc).__name__)
        return
    m = ops.metrics
    m.jobs_queued.set(stats.queued)
    m.jobs_pending.set(stats.pending)
    m.jobs_dead_letters.set(stats.dead)
    m.workers_seen.set(workers)


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
