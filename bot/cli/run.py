"""``miru run PLATFORM`` (gateway plus, by default, a worker) and ``miru worker``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.api.webhooks import deliverer_alongside
from bot.app import build_app
from bot.cli.exitcodes import EX_OK, EX_USAGE
from bot.core.platforms import PlatformRegistry, PlatformRuntime, run_platforms
from bot.ops.http import serve
from bot.ops.listen import HttpGuards
from config.settings import Settings


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_platform(args: argparse.Namespace, settings: Settings) -> int:
    """``miru run PLATFORM...``: each platform's gateway and (unless ``--no-worker``) one worker
    answering for all of them, until SIGINT/SIGTERM."""
    app = build_app(settings)
    try:  # the app (its Redis client) is closed on every path, a failed set-up's too
        if app.services.engine_note:
            print(app.services.engine_note, file=sys.stderr)
        options = {"slack": {"http": args.http, "host": args.host, "port": args.port}}
        stop = _stop_event()
        async with deliverer_alongside(app.redis, settings, stop):  # webhooks, when configured
            await run_platforms(app, dict.fromkeys(args.platforms),
                                with_worker=not args.no_worker, stop=stop, options=options)
    finally:
        await app.close()
    return EX_OK


async def run_worker_only(settings: Settings, *, metrics_port: int | None = None,
                          metrics_host: str = "127.0.0.1") -> int:
    """``miru worker``: answer queued jobs for every platform whose credentials are set; with
    ``metrics_port``, ``/healthz`` and ``/metrics`` on that port."""
    app = build_app(settings)
    runtimes: dict[str, PlatformRuntime] = {}
    runner = None
    try:  # a platform that fails to build: the app and those built before it are closed
        if app.services.engine_note:
            print(app.services.engine_note, file=sys.stderr)
        registry = PlatformRegistry()
        specs = registry.configured(settings)
        if not specs:
            print(f"miru: no platform is configured (set {registry.needs()})", file=sys.stderr)
            return EX_USAGE
        for spec in specs:
            runtimes[spec.name] = spec.build(settings)
        if metrics_port is not None:
            runner, bound = await serve(app.ops, host=metrics_host, port=metrics_port,
                                        guards=HttpGuards.from_settings(settings))
            print(f"metrics and health on http://{metrics_host}:{bound}/metrics and /healthz",
                  file=sys.stderr)
        stop = _stop_event()
        async with deliverer_alongside(app.redis, settings, stop):  # webhooks, when configured
            await app.run_worker({name: rt.platform for name, rt in runtimes.items()}, stop)
    finally:
        if runner is not None:
            await runner.cleanup()
        for rt in runtimes.values():
            await rt.close()
        await app.close()
    return EX_OK
