"""``miru hashlist rescan [--json]``: match every stored thread image and every pending review
case against the hash lists as they are now (``bot.review.rescan``). A stored image a list now
names is preserved in a ``block_and_preserve`` case and removed from its thread; a pending case
a list now names is escalated, without telling its uploader. Workers do the same as they start
when the lists changed; this is for an operator who just changed them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

# Imported for `miru`'s parser on every command (add_parser): what the command needs is
# imported inside it, so `miru --help` does not load the stores.
from bot.cli.exitcodes import EX_FAIL, EX_OK
from bot.cli.output import dumps

if TYPE_CHECKING:
    from config.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    hl = sub.add_parser("hashlist", help="the operator's hash lists")
    hsub = hl.add_subparsers(dest="hashlist_cmd", required=True)
    rs = hsub.add_parser("rescan", help="match stored images and pending cases again now")
    rs.add_argument("--json", action="store_true")


async def hashlist_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evidence.secrets import open_audit_log
    from bot.stores.redis_base import reachable
    from bot.wiring import connect_redis, open_hashlist_rescan

    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {settings.redis_url}; stored images and "
                  "cases live there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        result = await open_hashlist_rescan(settings, redis,
                                            open_audit_log(settings, redis)).rescan()
    finally:
        await redis.aclose()
    if args.json:
        print(dumps(result.as_dict()))
    else:
        print(f"stored images: {result.images} matched in {result.threads} thread(s), "
              f"{result.dropped} named by a list (preserved in a case, removed)")
        print(f"pending cases: {result.cases} matched, {result.escalated} named by a list "
              "(escalated; their uploaders are not told)")
        if result.failed:
            print(f"{result.failed} match(es) could not be preserved or escalated: run it "
                  "again (workers try again as they start)")
        if result.truncated:
            print("stopped at the limit of threads per sweep: run it again")
    return EX_FAIL if result.failed or result.truncated else EX_OK
