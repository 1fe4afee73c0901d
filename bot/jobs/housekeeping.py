"""Scheduled housekeeping: the quarantine purge that enforces the policy's retention.

``with_purge`` runs the purge beside the worker (``App.run_worker``): once at start, then every
``PURGE_INTERVAL_S``, until the worker's stop event is set. It sweeps the local quarantine folder
and, with Redis, the review queue and its shared quarantine (``Review.purge``; Redis's TTLs
expire the keys on time, the sweep drops their index entries and applies a shortened retention).
A failed purge is one log line and is tried again at the next interval. ``purge_command`` is
``miru quarantine purge`` (by hand or from cron; ``miru review purge`` for the queue). Several
workers may purge at once: deleting is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from bot.evidence.quarantine import PurgeResult, Quarantine
from bot.evidence.secrets import quarantine_key
from bot.review.service import Actor
from config.policy import load_policy

if TYPE_CHECKING:
    from bot.evidence.quarantine import Quarantine
    from bot.review.service import Review
    from config.settings import Settings

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0
T = TypeVar("T")


async def purge_loop(quarantine: Quarantine, stop: asyncio.Event, *,
                     interval_s: float = PURGE_INTERVAL_S, review: Review | None = None) -> None:
    """Purge now and every ``interval_s`` seconds until ``stop`` is set; never raises."""
    while not stop.is_set():
        if review is not None:
            await _purge_review(review)
        try:
            result = await asyncio.to_thread(quarantine.sweep)
        except Exception as exc:  # the worker must outlive a bad disk or a bad file
            log.error("quarantine purge failed (next try in %.0fs): %s: %s", interval_s,
                      type(exc).__name__, exc)
        else:
            if result.removed or result.skipped:
                log.info("quarantine purge: %d removed, %d kept, %d unreadable",
                         result.removed, result.kept, len(result.skipped))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def _purge_review(review: Review) -> None:
    try:
        result = await review.purge(Actor("system", "housekeeping"))
    except Exception as exc:
        log.error("review purge failed: %s: %s", type(exc).__name__, exc)
    else:
        if result.removed or result.skipped:
            log.info("review purge: %d case(s) removed, %d kept, %d unreadable",
                     result.removed, result.kept, len(result.skipped))


async def with_purge(main: Awaitable[T], quarantine: Quarantine, stop: asyncio.Event, *,
                     interval_s: float = PURGE_INTERVAL_S, review: Review | None = None) -> T:
    """Await ``main`` (the worker) with ``purge_loop`` running beside it; the loop ends with
    the stop event, or is cancelled when ``main`` returns or raises."""
    task = asyncio.create_task(purge_loop(quarantine, stop, interval_s=interval_s,
                                          review=review),
                               name="quarantine-purge")
    try:
        return await main
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def purge_command(settings: Settings, *, as_json: bool) -> int:
    """``miru quarantine purge [--json]``: apply the policy's retention now; exit 0 (1 when some
    cases could not be read and were left alone)."""
    policy = load_policy(settings.policy_file)
    folder = settings.data_dir / "quarantine"
    if not folder.is_dir() or not any(folder.glob("*.bin")):
        result = PurgeResult(0, 0)  # nothing to do: do not create a key for an empty folder
    else:
        key = quarantine_key(settings, create=False).value  # a new key would read nothing
        result = Quarantine(folder, key, retention=policy.retention).sweep()
    days, hold = policy.retention.quarantine_days, policy.retention.legal_hold_days
    if as_json:
        print(json.dumps({"removed": result.removed, "kept": result.kept,
                          "skipped": list(result.skipped), "retention_days": days,
                          "legal_hold_days": hold}))
    else:
        print(f"removed {result.removed} case(s), kept {result.kept} "
              f"(retention {days:g} days, {hold:g} under legal hold)")
        for name in result.skipped:
            print(f"left alone (cannot be read with this key): {name}")
    return 1 if result.skipped else 0
