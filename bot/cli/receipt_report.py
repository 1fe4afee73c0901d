"""``miru receipt report --workspace ID``: the expense ledgers of one workspace (Slack team or
Discord guild), read from Redis, as a report or an export.

Only the named workspace's ledgers are read (each workspace lists its expense threads in its
own key, ``bot.keys.ledger_index``): a report never mixes tenants. ``--month YYYY-MM``,
``--user ID`` and ``--thread CHANNEL/THREAD`` narrow it. ``--format``: ``text`` (the report,
as in a thread), ``json``, ``csv`` (every receipt, UTF-8 with a BOM), ``freee`` and ``mf`` (the
accounting imports, in the policy's encoding), ``zip`` (the receipt images named for search,
with the CSV; needs ``-o``). What an export leaves out, and why, goes to stderr. Every export
is audited (``receipt_export``).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from bot import keys
from bot.cli.exitcodes import EX_DATAERR, EX_FAIL, EX_OK, EX_USAGE
from bot.cli.output import dumps
from bot.evidence.secrets import open_audit_log
from bot.models import ThreadKey
from bot.receipts.answers import describe, people, select
from bot.receipts.codec import contract_json
from bot.receipts.entry import Entry
from bot.receipts.export_common import Item, reference
from bot.receipts.exports import make_export
from bot.receipts.report import report_text
from bot.receipts.scope import Scope
from bot.stores.redis_base import reachable, redis_errors, text
from bot.wiring import connect_redis, open_ledger
from config.policy import load_policy
from config.settings import Settings

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


async def report_command(args: argparse.Namespace, settings: Settings) -> int:
    month = _MONTH.match(args.month or "")
    if args.month and (month is None or not 1 <= int(month.group(2)) <= 12):
        print("miru: --month takes YYYY-MM, e.g. 2026-11", file=sys.stderr)
        return EX_USAGE
    if args.format == "zip" and not args.output:
        print("miru: --format zip needs -o FILE", file=sys.stderr)
        return EX_USAGE
    platform = args.platform or ("discord" if args.workspace.isdigit() else "slack")
    policy = load_policy(settings.policy_file)
    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {settings.redis_url}; the ledgers live "
                  "there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        ledger, images = open_ledger(settings, policy, redis)
        threads = await _threads(redis, platform, args.workspace, args.thread)
        items: list[Item] = []
        names: dict[str, str] = {}
        scope = Scope(month=(int(month.group(1)), int(month.group(2))) if month else None,
                      person=args.user)
        for thread in threads:
            entries = await ledger.entries(thread)
            names.update(people(entries))
            items += [Item(thread, e) for e in select(entries, scope)]
        if args.format in ("text", "json"):
            return _write_text(args, scope, items, names, len(threads))
        made = await make_export(args.format, items, names, args.lang, policy.receipts, images,
                                 max_bytes=None)
    finally:
        await redis.aclose()
    for note in made.notes:
        print(note, file=sys.stderr)
    data = made.files[0].data
    audit = open_audit_log(settings)
    await audit.write(audit.record("receipt_export", f"cli:report:{args.workspace}",
                                   platform="cli", detail={
                                       "workspace": args.workspace, "platform": platform,
                                       "kind": args.format, "count": made.count,
                                       "left_out": made.left_out_count}))
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output} ({made.count} receipts)", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    return EX_OK if made.count else EX_DATAERR


async def _threads(redis: Any, platform: str, workspace: str, only: str | None
                   ) -> list[ThreadKey]:
    """The workspace's expense threads (its own index key only), oldest activity first."""
    with redis_errors("ledger index"):
        tags = [text(t) for t in await redis.zrange(keys.ledger_index(platform, workspace),
                                                    0, -1)]
    found = []
    for tag in tags:
        parts = tag.split(":", 3)
        if len(parts) != 4 or parts[0] != platform or parts[1] != workspace:
            continue  # never another tenant's, whatever the index holds
        thread = ThreadKey(platform, workspace, parts[2], parts[3])  # type: ignore[arg-type]
        if only is None or only == f"{thread.channel}/{thread.thread}":
            found.append(thread)
    return found


def _write_text(args: argparse.Namespace, scope: Scope, items: list[Item],
                names: dict[str, str], threads: int) -> int:
    entries = [i.entry for i in items]
    if args.format == "json":
        out = dumps({"workspace": args.workspace, "threads": threads, "count": len(items),
                     "receipts": [_json(i, names) for i in items]})
    else:
        what = describe(scope, entries, args.lang)
        if scope.person is not None:
            what = what.replace(scope.person, names.get(scope.person, scope.person))
        out = report_text(entries, what, args.lang, threads=threads)
    if args.output:
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    else:
        print(out)
    return EX_OK if items else EX_DATAERR


def _json(item: Item, names: dict[str, str]) -> dict[str, Any]:
    e: Entry = item.entry
    a = e.approval
    return {"reference": reference(item), "thread": f"{item.thread.channel}/{item.thread.thread}",
            "n": e.n, **contract_json(e.receipt), "added_by": e.added_by,
            "added_by_name": names.get(e.added_by, ""), "status": a.status,
            "decided_by": (a.by_name or a.by) if a.decided else None,
            "decided_at": a.at if a.decided else None, "reason": a.reason or None}
