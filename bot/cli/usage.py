"""``miru usage [--json]``: images per workspace (or guild) and user for the current UTC day,
with each workspace's tier, read from the quota counters in Redis."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

# Imported for `miru`'s parser on every command (add_parser): what the command needs is
# imported inside it, so `miru --help` does not load the quotas.
from bot.cli.exitcodes import EX_FAIL, EX_OK
from bot.cli.output import dumps

if TYPE_CHECKING:
    from config.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    us = sub.add_parser("usage", help="images per workspace and user today (UTC), with tiers")
    us.add_argument("--json", action="store_true")


async def usage_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.quota import day_of, usage
    from bot.stores.redis_base import reachable
    from bot.wiring import connect_redis
    from config.policy import load_policy

    policy = load_policy(settings.policy_file)
    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {settings.redis_url}; the quota counters "
                  "live there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        rows = await usage(redis, policy)
    finally:
        await redis.aclose()
    day = day_of(time.time())
    if args.json:
        print(dumps({"day": f"{day[:4]}-{day[4:6]}-{day[6:]}", "workspaces": [
            {"platform": r.platform, "workspace": r.workspace, "tier": r.tier,
             "images": r.images, "limit": policy.tiers[r.tier].images_per_workspace_per_day,
             "users": r.users} for r in rows]}))
        return EX_OK
    if not rows:
        print("no images counted today")
    for r in rows:
        limit = policy.tiers[r.tier].images_per_workspace_per_day
        print(f"{r.platform}:{r.workspace}  tier {r.tier}  images {r.images}"
              f"{f' of {limit}' if limit else ''}")
        for user, n in r.users.items():
            print(f"  {user}  {n}")
    return EX_OK
