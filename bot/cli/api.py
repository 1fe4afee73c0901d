"""``miru serve-api``, ``miru api-key create|list|revoke`` and ``miru webhooks list|retry``.

``api-key create`` prints the key once, alone on the last line of stdout (what a script captures
with ``tail -n 1``); everything else goes to stderr. Keys are stored hashed, so a lost key cannot
be shown again: revoke it and create another. Creating and revoking are audited (``api_key``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING

# Imported for `miru`'s parser on every command (add_parser): what the commands need is
# imported inside them, so `miru --help` does not load aiohttp, the API server or the app.
from bot.cli.exitcodes import EX_FAIL, EX_OK, EX_USAGE

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

    from config.settings import Settings

MAX_LIST = 10_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    from bot.api.apikeys import SCOPES

    sa = sub.add_parser("serve-api", help="the integration API (docs/api.md)")
    sa.add_argument("--port", type=int, default=8080)
    sa.add_argument("--host", default="127.0.0.1",
                    help="the address to listen on (default 127.0.0.1: this machine only; "
                         "0.0.0.0 for every interface, e.g. in a container)")

    ak = sub.add_parser("api-key", help="keys for the integration API")
    aksub = ak.add_subparsers(dest="api_key_cmd", required=True)
    cr = aksub.add_parser("create", help="create a key; it is printed once, on the last line")
    cr.add_argument("name")
    cr.add_argument("--scope", required=True, metavar="SCOPES",
                    help="comma-separated: " + ",".join(SCOPES))
    cr.add_argument("--workspace", default="api",
                    help="the key's workspace (a Slack team id, a Discord guild id, or a name): "
                         "its requests count against that workspace's plan and quota, and it "
                         "reads only that workspace's review cases (default: api)")
    cr.add_argument("--all-workspaces", action="store_true",
                    help="an operator's key: GET /v1/cases lists every workspace's cases "
                         "(default: only --workspace's)")
    ls = aksub.add_parser("list", help="keys (never their secrets)")
    ls.add_argument("--json", action="store_true")
    rv = aksub.add_parser("revoke", help="delete a key: its requests get 401 from now on")
    rv.add_argument("name")

    wh = sub.add_parser("webhooks", help="outgoing webhook deliveries")
    whsub = wh.add_subparsers(dest="webhooks_cmd", required=True)
    wl = whsub.add_parser("list", help="recent delivery attempts and events given up on")
    wl.add_argument("--json", action="store_true")
    wl.add_argument("--limit", type=int, default=50)
    wr = whsub.add_parser("retry", help="deliver a dead event again (tries start over)")
    wr.add_argument("id", help="the dead event's id (from webhooks list)")


async def api_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.cmd == "serve-api":
        return await serve_api(args, settings)
    from bot.stores.redis_base import reachable, shown_url
    from bot.wiring import connect_redis

    redis = connect_redis(settings.redis_url)
    try:
        if not await reachable(redis):
            print(f"miru: Redis is not reachable at {shown_url(settings.redis_url)}; API keys and "
                  "webhook deliveries live there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        if args.cmd == "api-key":
            return await _api_key(args, settings, redis)
        return await _webhooks(args, redis)
    finally:
        await redis.aclose()


async def _api_key(args: argparse.Namespace, settings: Settings,
                   redis: Redis | RedisCluster) -> int:
    from bot.api.apikeys import ApiKeys, KeyUsageError, check_name, parse_scopes
    from bot.evidence.secrets import open_audit_log

    store = ApiKeys(redis)
    cmd = args.api_key_cmd
    if cmd == "list":
        found = await store.list()
        if args.json:
            print(json.dumps([k.as_json() for k in found], ensure_ascii=False))
        elif not found:
            print("no API keys")
        for k in found if not args.json else ():
            cases = "  cases=all workspaces" if k.all_workspaces else ""
            print(f"{k.name}  id={k.id}  scopes={','.join(k.scopes)}  "
                  f"workspace={k.workspace}{cases}  created={k.as_json()['created']}")
        return EX_OK
    audit = open_audit_log(settings, redis)
    try:
        if cmd == "create":
            scopes = parse_scopes(args.scope)
            record, key = await store.create(args.name, scopes, args.workspace,
                                             all_workspaces=args.all_workspaces)
        else:
            check_name(args.name)
            record, key = None, ""
            if not await store.revoke(args.name):
                print(f"miru: no API key named {args.name!r}", file=sys.stderr)
                return EX_FAIL
    except KeyUsageError as exc:
        print(f"miru: {exc}", file=sys.stderr)
        return EX_USAGE
    detail = ({"name": record.name, "key_id": record.id, "scopes": list(record.scopes),
               "workspace": record.workspace, "all_workspaces": record.all_workspaces}
              if record else {"name": args.name})
    await audit.write(audit.record("api_key", f"api-key:{args.name}", platform="cli",
                                   user=getpass.getuser(), action=cmd, detail=detail))
    if record is None:
        print(f"revoked API key {args.name!r}; requests with it now get 401")
        return EX_OK
    reads = "every workspace's cases" if record.all_workspaces else "this workspace's cases only"
    print(f"created API key {record.name!r} (id {record.id}; scopes {','.join(record.scopes)};"
          f" workspace {record.workspace}; reads {reads}). It is shown only now: store it in a "
          "secret store.", file=sys.stderr)
    sys.stderr.flush()
    print(key, flush=True)  # alone, on the last line of stdout
    return EX_OK


async def _webhooks(args: argparse.Namespace, redis: Redis | RedisCluster) -> int:
    from bot.api.webhooks import dead_events, recent_attempts, retry_dead

    if args.webhooks_cmd == "retry":
        if not await retry_dead(redis, args.id):
            print(f"miru: no dead webhook event {args.id!r}", file=sys.stderr)
            return EX_FAIL
        print(f"event {args.id} queued for delivery again")
        return EX_OK
    if not 1 <= args.limit <= MAX_LIST:
        print(f"miru: --limit must be 1..{MAX_LIST}", file=sys.stderr)
        return EX_USAGE
    attempts = await recent_attempts(redis, args.limit)
    dead = await dead_events(redis, args.limit)
    if args.json:
        print(json.dumps({"attempts": attempts, "dead": dead}, ensure_ascii=False))
        return EX_OK
    print(f"{len(attempts)} recent attempt(s), newest first:" if attempts else "no attempts")
    for a in attempts:
        status = a.get("status") or a.get("error") or "-"
        print(f"  {a.get('event')}  {a.get('type')}  try {a.get('attempt')}  "
              f"{a.get('outcome')}  {status}  {a.get('ms')} ms")
    print(f"{len(dead)} event(s) given up on:" if dead else "no dead events")
    for d in dead:
        kind = (d["event"] or {}).get("type", "?")
        print(f"  {d['id']}  {kind}  after {d['attempts']} tries: {d['last_error']}")
    return EX_OK


async def serve_api(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until SIGINT/SIGTERM, with this process's webhook deliverer alongside."""
    from bot.api.apikeys import ApiKeys
    from bot.api.server import ApiServer, start
    from bot.api.webhooks import deliverer_alongside
    from bot.app import build_app
    from bot.cli.run import _stop_event
    from bot.stores.redis_base import reachable, shown_url

    if not 0 <= args.port <= 65535:
        print("miru: --port must be 0..65535", file=sys.stderr)
        return EX_USAGE
    app = build_app(settings)
    try:
        assert app.redis is not None
        if not await reachable(app.redis):
            print(f"miru: Redis is not reachable at {shown_url(settings.redis_url)}; API keys "
                  "and quotas live there (set MIRU_REDIS_URL)", file=sys.stderr)
            return EX_FAIL
        if app.services.engine_note:
            print(app.services.engine_note, file=sys.stderr)
        stop = _stop_event()
        runner, bound = await start(ApiServer(app, ApiKeys(app.redis)), host=args.host,
                                    port=args.port)
        print(f"Miru API on http://{args.host}:{bound} (routes: /v1/openapi.json)",
              file=sys.stderr, flush=True)
        try:
            async with deliverer_alongside(app.redis, settings, stop):
                await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await app.close()
    return EX_OK
