"""``miru run PLATFORM`` (gateway plus, by default, a worker) and ``miru worker``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.cli.exitcodes import EX_OK, EX_USAGE
from config.settings import Settings


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_platform(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from handlers.slack_run import run_slack

    app = build_app(settings)
    if app.services.engine_note:
        print(app.services.engine_note, file=sys.stderr)
    try:
        await run_slack(app, http=args.http, host=args.host, port=args.port,
                        with_worker=not args.no_worker, stop=_stop_event())
    finally:
        await app.close()
    return EX_OK


async def run_worker_only(settings: Settings) -> int:
    from bot.app import build_app
    from handlers.slack_run import slack_platform

    app = build_app(settings)
    if app.services.engine_note:
        print(app.services.engine_note, file=sys.stderr)
    platforms = {}
    if settings.slack_bot_token.get_secret_value():
        platforms["slack"] = slack_platform(settings)
    if not platforms:
        print("miru: no platform is configured (set SLACK_BOT_TOKEN)", file=sys.stderr)
        await app.close()
        return EX_USAGE
    try:
        await app.run_worker(platforms, _stop_event())
    finally:
        await app.close()
    return EX_OK
