"""``miru review list|show|approve|reject|escalate|purge|rotate-keys``: the moderators' queue
from a terminal, for the operator: it reads and decides every workspace's cases (moderators on
a platform act only on their own workspace's; ``bot.review.desk``). Every command takes
``--by NAME`` (default: the login name) and writes an audit record, reading included. Approving
a platform case puts the original request back on the job queue, so a worker answers the
uploader in their thread; a command-line case has no one to answer and is only marked approved.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from typing import TYPE_CHECKING

# Imported for `miru`'s parser on every command (add_parser): what the commands need is
# imported inside them, so `miru --help` does not load Redis clients and the review queue.
from bot.cli.exitcodes import EX_FAIL, EX_OK, EX_USAGE
from bot.review.model import Case, Decision, iso

if TYPE_CHECKING:
    from bot.review.service import Actor, Review
    from bot.stores.redis_base import RedisLike
    from config.settings import Settings

_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_LIST = 10_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    rv = sub.add_parser("review", help="the review queue of every workspace (operator)")
    rsub = rv.add_subparsers(dest="review_cmd", required=True)
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", help="your name for the audit record (default: login name)")
    ls = rsub.add_parser("list", parents=[by], help="cases, oldest first")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--status", choices=["pending", "approved", "rejected", "escalated"])
    ls.add_argument("--limit", type=int, default=1000)
    for name, what in (("show", "one case in full (never the image)"),
                       ("approve", "let the held request continue"),
                       ("reject", "keep it stopped; the uploader is told"),
                       ("escalate", "legal hold: keep the evidence for legal_hold_days")):
        p = rsub.add_parser(name, parents=[by], help=what)
        p.add_argument("case")
        if name == "show":
            p.add_argument("--json", action="store_true")
    pg = rsub.add_parser("purge", parents=[by], help="delete cases past the retention now")
    pg.add_argument("--json", action="store_true")
    rsub.add_parser("rotate-keys", parents=[by],
                    help="re-encrypt all evidence under the first MIRU_QUARANTINE_KEY")


async def review_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evidence.secrets import open_audit_log
    from bot.review.service import Actor
    from bot.stores.redis_base import reachable
    from bot.wiring import connect_redis, open_review
    from config.policy import load_policy

    case_id = getattr(args, "case", None)
    if case_id is not None and not _CASE.match(case_id):
        print(f"miru: {case_id!r} is not a case id (like c1a2b3c4d5)", file=sys.stderr)
        return EX_USAGE
    if getattr(args, "limit", 1) < 1 or getattr(args, "limit", 1) > MAX_LIST:
        print(f"miru: --limit must be 1..{MAX_LIST}", file=sys.stderr)
        return EX_USAGE
    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {settings.redis_url}; the review queue "
                  "lives there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        review = open_review(settings, load_policy(settings.policy_file), redis,
                             open_audit_log(settings, redis))
        actor = Actor("cli", args.by or getpass.getuser())
        cmd = args.review_cmd
        if cmd == "list":
            return await _list(review, actor, args)
        if cmd == "show":
            return await _show(review, actor, args.case, args.json)
        if cmd == "purge":
            return await _purge(review, actor, args.json)
        if cmd == "rotate-keys":
            n = await review.quarantine.rotate()
            await review.audit.write(review.audit.record(
                "review_purge", "review:rotate", platform="cli", user=actor.user,
                action="rotate_keys", detail={"reencrypted": n}))
            print(f"re-encrypted {n} piece(s) of evidence under the first key")
            return EX_OK
        return await _decide(review, actor, args.case, Decision(cmd), redis)
    finally:
        await redis.aclose()


async def _list(review: Review, actor: Actor, args: argparse.Namespace) -> int:
    from bot.review.model import CaseStatus

    status = CaseStatus(args.status) if args.status else None
    cases = await review.store.list(status, limit=args.limit)
    await _viewed(review, actor, "list", {"count": len(cases)})
    if args.json:
        print(json.dumps([c.summary() for c in cases], ensure_ascii=False))
        return EX_OK
    if not cases:
        print("no cases")
    for c in cases:
        decided = f" by {c.decided_by}" if c.decided_by else ""
        hold = " [legal hold]" if c.legal_hold else ""
        print(f"{c.id}  {c.created_iso}  {c.action:<18} {c.status.value}{decided}{hold}  "
              f"{','.join(c.reasons)}  {c.platform}:{c.channel}")
    return EX_OK


async def _show(review: Review, actor: Actor, case_id: str, as_json: bool) -> int:
    from bot.review.signals import MAX_SIGNALS, dump_signals, signal_lines

    case = await review.store.get(case_id)
    await _viewed(review, actor, "show", {"case": case_id, "found": case is not None})
    if case is None:
        print(f"miru: no case {case_id} (never opened, expired or purged)", file=sys.stderr)
        return EX_FAIL
    info = {**case.summary(), "scores": case.scores, "workspace": case.workspace,
            "thread": case.thread, "message_id": case.message_id, "uploader": case.user,
            "images": list(case.images), "evidence": list(case.evidence)}
    if as_json:
        print(json.dumps({**info, "signals": dump_signals(case.signals)}, ensure_ascii=False))
    else:
        for k, v in info.items():
            print(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}")
        lines = signal_lines(case.signals, limit=MAX_SIGNALS)
        print("age signals:" if lines else "age signals: none")
        for line in lines:
            print(f"  - {line}")
        if case.action == "block_and_preserve":
            print("reporting: see docs/reporting.md (do not copy or forward the image)")
    return EX_OK


async def _decide(review: Review, actor: Actor, case_id: str, decision: Decision,
                  redis: RedisLike) -> int:
    if decision is Decision.APPROVE:
        case = await review.store.get(case_id)
        if case is not None and case.action != "hold":
            print(f"miru: case {case_id} is {case.action}: it can be rejected or escalated, "
                  "never approved into a model", file=sys.stderr)
            await review.refused(case_id, actor, "approve")
            return EX_FAIL
    result = await review.decide(case_id, decision, actor)
    if result.outcome == "gone":
        print(f"miru: no case {case_id} (never opened, expired or purged); nothing decided",
              file=sys.stderr)
        return EX_FAIL
    case = result.case
    assert case is not None
    if result.outcome == "decided":
        print(f"miru: case {case_id} was already {case.status.value} by {case.decided_by} at "
              f"{iso(case.decided_at)}; nothing changed", file=sys.stderr)
        return EX_FAIL
    print(f"case {case.id} {case.status.value} by {case.decided_by} at {iso(case.decided_at)}")
    if decision is Decision.APPROVE:
        print(await _continue(review, case, redis))
    if case.answerable:  # no card, no thread to tell from the command line or the API
        from bot.review.cards import ReviewNotices

        await ReviewNotices(review).publish(case, decision)
        print("a worker updates the card and tells the uploader")
    return EX_OK


async def _continue(review: Review, case: Case, redis: RedisLike) -> str:
    """Put the approved request back on the job queue (platform cases)."""
    import socket

    from bot.jobs.queue import JobQueue
    from bot.stores.redis_store import RedisStateStore

    if case.platform == "cli":
        return "the request came from the command line; run miru ask again to get the answer"
    if not case.answerable:  # the API: no worker serves its requests; its client sends again
        return "the request came from the integration API; its client sends it again"
    message = review.continued(case)
    if not await RedisStateStore(redis).first_time(message.platform, message.event_id):
        return "the request was already sent on"
    job = await JobQueue(redis, consumer=f"review-{socket.gethostname()}").enqueue(message)
    return f"the original request continues (job {job}); the uploader gets the answer"


async def _purge(review: Review, actor: Actor, as_json: bool) -> int:
    result = await review.purge(actor, always_audit=True)
    days = review.quarantine.retention
    if as_json:
        print(json.dumps({"removed": result.removed, "kept": result.kept,
                          "skipped": list(result.skipped),
                          "retention_days": days.quarantine_days,
                          "legal_hold_days": days.legal_hold_days}))
    else:
        print(f"removed {result.removed} case(s), kept {result.kept} (retention "
              f"{days.quarantine_days:g} days, {days.legal_hold_days:g} under legal hold)")
        for name in result.skipped:
            print(f"left alone (cannot be read with these keys): {name}")
    return EX_FAIL if result.skipped else EX_OK


async def _viewed(review: Review, actor: Actor, what: str, detail: dict) -> None:
    await review.audit.write(review.audit.record(
        "review_view", f"review:{what}", platform="cli", user=actor.user, action=what,
        detail=detail))


async def redis_client_if_up(settings: Settings) -> RedisLike | None:
    """A client for the shared review queue when Redis answers (``miru ask``), else ``None``
    (held evidence then stays in the local quarantine folder)."""
    from bot.stores.redis_base import reachable
    from bot.wiring import connect_redis

    client = connect_redis(settings.redis_url)
    if await reachable(client):
        return client
    await client.aclose()
    return None
