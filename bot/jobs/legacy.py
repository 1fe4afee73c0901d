"""Jobs left in the one stream every platform shared before issue 19 (``keys.LEGACY_JOB_STREAM``).

After an upgrade, that stream may still hold jobs: queued ones, and pending ones of workers of
the old version (still running during a rolling upgrade, or dead). ``adopt_legacy`` moves each
job that no live old worker holds (never delivered, or idle past the claim time) to its
platform's stream, keeping its attempt count: queued on the new stream first, then acknowledged
and deleted on the old one (two keys on two slots, so two steps; a crash between leaves a copy,
and the reply claim makes a job run twice answer once). Every worker calls it as it starts and
with each sweep; on an upgraded Redis the stream is gone and this costs one ``EXISTS``.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import ResponseError

from bot import keys
from bot.errors import CodecError
from bot.jobs.queue import JobQueue
from bot.stores.codec import load_message
from bot.stores.redis_base import redis_errors, transaction
from bot.stores.redis_base import text as _text

log = logging.getLogger(__name__)

BATCH = 500


async def adopt_legacy(queue: JobQueue, *, stream: str = keys.LEGACY_JOB_STREAM) -> int:
    """Move the old stream's jobs that no live worker holds to their platforms' streams;
    returns how many moved."""
    r, moved = queue.r, 0
    with redis_errors("legacy jobs"):
        if not await r.exists(stream):
            return 0
        held = await _held(queue, stream)
        start = "-"
        while batch := await r.xrange(stream, min=start, count=BATCH):
            for raw_id, fields in batch:
                entry_id = _text(raw_id)
                if fields is None or entry_id in held:
                    continue
                moved += await _move(queue, stream, entry_id, fields)
            if len(batch) < BATCH:
                break
            start = "(" + _text(batch[-1][0])
    if moved:
        log.info("moved %d job(s) from %s to their platforms' streams", moved, stream)
    return moved


async def _held(queue: JobQueue, stream: str) -> set[str]:
    """Pending entries whose consumer touched them within the claim time (a live old worker
    runs them). Idle ones are left out, so they move."""
    try:
        rows = await queue.r.xpending_range(stream, queue.group, min="-", max="+", count=10_000)
    except ResponseError as exc:
        if "NOGROUP" in str(exc):
            return set()
        raise
    return {_text(row["message_id"]) for row in rows
            if int(row["time_since_delivered"]) < queue.claim_idle_ms}


async def _move(queue: JobQueue, stream: str, entry_id: str, fields: Any) -> int:
    try:
        message = load_message(fields[b"msg"])
        attempts = int(fields.get(b"attempts", b"0"))
    except (CodecError, KeyError, ValueError) as exc:
        log.error("dropping unreadable legacy job %s: %s", entry_id, exc)
        moved = 0
    else:
        await queue.enqueue(message, attempts=attempts)
        moved = 1
    pipe = transaction(queue.r)
    pipe.xack(stream, queue.group, entry_id)
    pipe.xdel(stream, entry_id)
    await pipe.execute()
    return moved
