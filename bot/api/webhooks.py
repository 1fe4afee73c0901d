"""Delivering webhook events: signed POSTs, retried with backoff, every attempt recorded.

Events arrive in ``keys.WEBHOOK_STREAM`` (``bot.evidence.events``: one ``XADD`` each, so a slow or
dead receiver never slows an answer). Deliverers in every ``miru worker``/``miru run``/``miru
serve-api`` process read it in one consumer group, so each event goes to one process:

- a new event is posted at once; a 2xx answer acknowledges and deletes it;
- a failed post (refused connection, timeout, any other status) leaves it pending; after
  ``backoff_s * 2**(tries-1)`` of idle time any deliverer claims it again (``XCLAIM`` with that
  minimum idle time, so only one wins) and posts it again, with a new timestamp and signature;
- after ``max_attempts`` tries it moves to ``keys.WEBHOOK_DEAD`` (first copied, then removed: a
  crash in between keeps it twice, never loses it); ``miru webhooks retry ID`` puts it back;
- each attempt is one entry of ``keys.WEBHOOK_ATTEMPTS`` (``miru webhooks list``).

Delivery is at least once: a deliverer that dies between the receiver's 2xx and its ``XACK``
lets another post the event again. Receivers de-duplicate by the event's ``id`` (also sent as
``X-Miru-Event-Id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from redis.exceptions import RedisError, ResponseError

from bot import keys
from bot.api.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.evidence.secrets import webhook_secret
from bot.stores.redis_base import redis_errors
from bot.stores.redis_base import text as _text

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

    from config.settings import Settings

log = logging.getLogger(__name__)

READ_BLOCK_MS = 500  # well under the Redis client's socket timeout
BATCH = 16


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: bytes
    timeout_s: float = 10.0
    backoff_s: float = 30.0
    max_attempts: int = 6

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig | None:
        """``None`` when no webhook is configured; ``ConfigError`` when half configured."""
        secret = webhook_secret(settings)
        if secret is None:
            return None
        return cls(settings.webhook_url.strip(), secret, settings.webhook_timeout_s,
                   settings.webhook_backoff_s, settings.webhook_max_attempts)

    def backoff_ms(self, tries: int) -> int:
        """Idle time before try ``tries + 1`` (after ``tries`` failed ones)."""
        return int(self.backoff_s * 1000 * 2 ** max(0, tries - 1))


@dataclass(frozen=True)
class Attempt:
    event_id: str
    type: str
    attempt: int
    outcome: str  # "delivered" | "failed" | "dead"
    status: int | None
    error: str
    ms: int


class Deliverer:
    def __init__(self, redis: Redis | RedisCluster, config: WebhookConfig, *, consumer: str,
                 client: httpx.AsyncClient | None = None, stream: str = keys.WEBHOOK_STREAM,
                 dead: str = keys.WEBHOOK_DEAD, attempts: str = keys.WEBHOOK_ATTEMPTS) -> None:
        self.r = redis
        self.config = config
        self.consumer = consumer
        self._client = client
        self.stream, self.dead, self.attempts = stream, dead, attempts

    async def ensure_group(self) -> None:
        with redis_errors("webhook_group"):
            try:
                await self.r.xgroup_create(self.stream, keys.WEBHOOK_GROUP, id="0",
                                           mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``; Redis trouble is logged and waited out."""
        client = self._client or httpx.AsyncClient(timeout=self.config.timeout_s,
                                                   follow_redirects=False)
        try:
            while not stop.is_set():
                try:
                    await self.ensure_group()
                    break
                except Exception as exc:
                    log.warning("webhooks: cannot create the group: %s", type(exc).__name__)
                    await _sleep(stop, 2.0)
            while not stop.is_set():
                try:
                    await self.step(client)
                except (RedisError, OSError) as exc:
                    log.warning("webhooks: Redis trouble: %s", type(exc).__name__)
                    await _sleep(stop, 1.0)
                except Exception:  # a bug: logged, and the loop goes on (events stay pending)
                    log.exception("webhooks: delivery step failed")
                    await _sleep(stop, 1.0)
        finally:
            if self._client is None:
                await client.aclose()

    async def step(self, client: httpx.AsyncClient, *, block_ms: int = READ_BLOCK_MS) -> int:
        """Post new events and the failed ones whose backoff is over; how many were tried."""
        tried = 0
        got: Any = await self.r.xreadgroup(keys.WEBHOOK_GROUP, self.consumer,
                                           {self.stream: ">"}, count=BATCH,
                                           block=block_ms)
        for _, entries in got or []:
            for entry_id, fields in entries:
                await self._attempt(client, entry_id, fields, 1)
                tried += 1
        return tried + await self._retry_due(client)

    async def _retry_due(self, client: httpx.AsyncClient) -> int:
        first = self.config.backoff_ms(1)
        pending: Any = await self.r.xpending_range(self.stream, keys.WEBHOOK_GROUP,
                                                   min="-", max="+", count=BATCH, idle=first)
        tried = 0
        for p in pending or []:
            tries = int(p["times_delivered"])
            need = self.config.backoff_ms(tries)
            if int(p["time_since_delivered"]) < need:
                continue
            claimed: Any = await self.r.xclaim(self.stream, keys.WEBHOOK_GROUP,
                                               self.consumer, need, [p["message_id"]])
            for entry_id, fields in claimed or []:
                if fields is None:  # deleted meanwhile (delivered by another process)
                    await self.r.xack(self.stream, keys.WEBHOOK_GROUP, entry_id)
                    continue
                await self._attempt(client, entry_id, fields, tries + 1)
                tried += 1
        return tried

    async def _attempt(self, client: httpx.AsyncClient, entry_id: Any, fields: Any,
                       attempt: int) -> Attempt:
        body = _field(fields, "event")
        try:
            event = json.loads(body)
            event_id, kind = str(event["id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            event_id, kind = _text(entry_id), "unreadable"
        status, error = None, ""
        t0 = time.monotonic()
        if kind == "unreadable":
            error = "unreadable event"
        else:
            status, error = await self._post(client, body, event_id, kind)
        ms = int((time.monotonic() - t0) * 1000)
        ok = status is not None and 200 <= status < 300
        if ok:
            outcome = "delivered"
        elif attempt >= self.config.max_attempts or kind == "unreadable":
            outcome = "dead"
        else:
            outcome = "failed"
        result = Attempt(event_id, kind, attempt, outcome, status, error, ms)
        await self._record(result)
        if outcome == "dead":
            await self.r.xadd(self.dead, {"event": body, "attempts": str(attempt),
                                                  "last_error": error or f"HTTP {status}"},
                              maxlen=keys.WEBHOOK_DEAD_MAXLEN, approximate=True)
            log.error("webhook event %s (%s) given up after %d tries", event_id, kind, attempt)
        if outcome != "failed":
            await self.r.xack(self.stream, keys.WEBHOOK_GROUP, entry_id)
            await self.r.xdel(self.stream, entry_id)
        return result

    async def _post(self, client: httpx.AsyncClient, body: bytes, event_id: str, kind: str
                    ) -> tuple[int | None, str]:
        ts = int(time.time())
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(ts),
                   SIGNATURE_HEADER: signature(self.config.secret, ts, body),
                   "X-Miru-Event": kind, "X-Miru-Event-Id": event_id,
                   "User-Agent": "miru-webhooks/1"}
        try:
            resp = await client.post(self.config.url, content=body, headers=headers,
                                     timeout=self.config.timeout_s)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return resp.status_code, "" if resp.is_success else f"HTTP {resp.status_code}"

    async def _record(self, a: Attempt) -> None:
        fields = {"event": a.event_id, "type": a.type, "attempt": str(a.attempt),
                  "outcome": a.outcome, "status": "" if a.status is None else str(a.status),
                  "error": a.error, "ms": str(a.ms), "ts": f"{time.time():.3f}"}
        try:
            await self.r.xadd(self.attempts, fields,  # type: ignore[arg-type]
                              maxlen=keys.WEBHOOK_ATTEMPTS_MAXLEN, approximate=True)
        except (RedisError, OSError) as exc:
            log.warning("webhook attempt not recorded: %s", type(exc).__name__)


def _field(fields: Any, name: str) -> bytes:
    value = fields.get(name.encode(), fields.get(name, b"")) if fields else b""
    return value if isinstance(value, bytes) else str(value).encode()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def recent_attempts(redis: Redis | RedisCluster, limit: int = 50) -> list[dict[str, str]]:
    """The newest delivery attempts, newest first (``miru webhooks list``)."""
    with redis_errors("webhook_attempts"):
        got: Any = await redis.xrevrange(keys.WEBHOOK_ATTEMPTS, count=limit)
    return [{_text(k): _text(v) for k, v in fields.items()} for _, fields in got]


async def dead_events(redis: Redis | RedisCluster, limit: int = 100) -> list[dict[str, Any]]:
    """Events given up on, oldest first, each with its dead-list id."""
    with redis_errors("webhook_dead"):
        got: Any = await redis.xrange(keys.WEBHOOK_DEAD, count=limit)
    out = []
    for entry_id, fields in got:
        d = {_text(k): _text(v) for k, v in fields.items()}
        try:
            event = json.loads(d.get("event", ""))
        except ValueError:
            event = None
        out.append({"id": _text(entry_id), "event": event, "attempts": int(d.get("attempts", 0)),
                    "last_error": d.get("last_error", "")})
    return out


async def retry_dead(redis: Redis | RedisCluster, dead_id: str) -> bool:
    """Put a dead event back on the stream (new tries from 1); False when no such entry."""
    with redis_errors("webhook_retry"):
        got: Any = await redis.xrange(keys.WEBHOOK_DEAD, min=dead_id, max=dead_id)
        if not got:
            return False
        fields = got[0][1]
        await redis.xadd(keys.WEBHOOK_STREAM, {"event": _field(fields, "event")},
                         maxlen=keys.WEBHOOK_STREAM_MAXLEN, approximate=True)
        await redis.xdel(keys.WEBHOOK_DEAD, dead_id)
    return True




@contextlib.asynccontextmanager
async def deliverer_alongside(redis: Redis | RedisCluster | None, settings: Settings,
                              stop: asyncio.Event) -> AsyncIterator[None]:
    """Run this process's deliverer while the body runs (``miru run``, ``miru worker``,
    ``miru serve-api``); nothing without Redis or a configured webhook. Half a configuration
    (a URL without a secret) is a ``ConfigError`` here, at start-up."""
    import os
    import socket

    config = WebhookConfig.from_settings(settings)
    if redis is None or config is None:
        yield
        return
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    task = asyncio.create_task(Deliverer(redis, config, consumer=consumer).run(stop))
    try:
        yield
    finally:
        # The body is over, so this process is stopping: say so first (a cancellation that a
        # client library swallows mid-command must not leave the loop running), then cancel.
        stop.set()
        task.cancel()
        await asyncio.wait({task}, timeout=10)
        if not task.done():
            log.error("webhooks: the deliverer did not stop within 10 s")
        elif not task.cancelled() and task.exception() is not None:
            log.error("webhooks: the deliverer failed: %r", task.exception())
