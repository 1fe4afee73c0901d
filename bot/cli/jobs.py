"""``miru jobs [--json]``, ``miru jobs retry ID``, ``miru jobs drop ID``: the job queue's
counts (queued, pending, dead), each platform's stream (what waits, how long, how many live
workers serve it; jobs that no worker serves are named), and the dead letters, for operators.
Output names the platform, channel and user ids of a dead job and why it was given up, never
the message text."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

# Imported for `miru`'s parser on every command (add_parser): what the commands need is
# imported inside them, so `miru --help` does not load the job queue.
from bot.cli.exitcodes import EX_FAIL, EX_OK, EX_USAGE
from bot.cli.output import dumps

if TYPE_CHECKING:
    from bot.jobs.deadletter import DeadJob
    from bot.jobs.queue import JobQueue
    from config.settings import Settings

_ENTRY = re.compile(r"^\d{1,20}-\d{1,20}$")  # a stream entry id
MAX_LIST = 10_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    jb = sub.add_parser("jobs", help="the job queue: queued, pending, dead; retry or drop")
    jb.add_argument("--json", action="store_true")
    jb.add_argument("--limit", type=int, default=100, help="dead jobs listed (oldest first)")
    jsub = jb.add_subparsers(dest="jobs_cmd")
    for name, what in (("retry", "queue a dead job again"), ("drop", "delete a dead job")):
        p = jsub.add_parser(name, help=what)
        p.add_argument("id", metavar="ID", help="the dead job's id (from miru jobs)")


async def jobs_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.jobs.queue import JobQueue
    from bot.stores.redis_base import reachable
    from bot.wiring import connect_redis

    entry = getattr(args, "id", None)
    if entry is not None and not _ENTRY.match(entry):
        print(f"miru: {entry!r} is not a job id (like 1764300000000-0)", file=sys.stderr)
        return EX_USAGE
    if not 1 <= args.limit <= MAX_LIST:
        print(f"miru: --limit must be 1..{MAX_LIST}", file=sys.stderr)
        return EX_USAGE
    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {settings.redis_url}; the job queue lives "
                  "there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        queue = JobQueue(redis, consumer="cli")
        if args.jobs_cmd == "retry":
            new_id = await queue.retry_dead(entry or "")
            if new_id is None:
                print(f"miru: no dead job {entry}", file=sys.stderr)
                return EX_FAIL
            print(f"queued again as {new_id}")
            return EX_OK
        if args.jobs_cmd == "drop":
            if not await queue.dead.drop(entry or ""):
                print(f"miru: no dead job {entry}", file=sys.stderr)
                return EX_FAIL
            print(f"dropped {entry}")
            return EX_OK
        return await _show(queue, args.json, args.limit)
    finally:
        await redis.aclose()


async def _show(queue: JobQueue, as_json: bool, limit: int) -> int:
    rows = await queue.platform_jobs()
    stats = await queue.stats()
    dead = await queue.dead.list(limit)
    unserved = [p.platform for p in rows if p.unserved]
    if as_json:
        print(dumps({"queued": stats.queued, "pending": stats.pending, "dead": stats.dead,
                     "platforms": [p.as_dict() for p in rows], "unserved": unserved,
                     "dead_jobs": [_row(d) for d in dead]}))
        return EX_OK
    print(f"queued {stats.queued}  pending {stats.pending}  dead {stats.dead}")
    for p in rows:
        wait = f"  oldest waiting {p.oldest_s:.0f} s" if p.queued else ""
        print(f"  {p.platform:<10} queued {p.queued}  pending {p.pending}  "
              f"workers {p.workers}{wait}")
    for name in unserved:
        print(f"no worker serves {name}: its jobs wait (start a worker with {name}'s "
              "credentials; past MIRU_JOB_UNSERVED_MAX_S they go to the dead letters)")
    for d in dead:
        r = _row(d)
        print(f"{r['id']}  {r['at']}  {r['reason']:<12} {r['error'] or '-'}  "
              f"attempts {r['attempts']}  {r['platform']}:{r['workspace']}:{r['channel']}  "
              f"user {r['user']}")
    if stats.dead > len(dead):
        print(f"... {stats.dead - len(dead)} more (--limit)")
    return EX_OK


def _row(d: DeadJob) -> dict[str, object]:
    m = d.message
    return {"id": d.id, "job": d.job_id, "reason": d.reason, "error": d.error,
            "attempts": d.attempts,
            "at": datetime.fromtimestamp(d.at, UTC).isoformat(timespec="seconds"),
            "platform": m.platform if m else "?", "workspace": m.workspace if m else "?",
            "channel": m.channel if m else "?", "user": m.user if m else "?",
            "readable": m is not None}
