"""Which chat platforms Miru can run on, and running any set of them in one process.

A platform registers a ``PlatformSpec`` (its adapter module defines it; ``BUILTIN`` names where,
so the core never imports an adapter or a platform library until that platform is asked for).
From settings, ``spec.build`` makes a ``PlatformRuntime``: the ``Platform`` a worker answers on
and an async ``serve(app, stop, **opts)`` that runs the platform's gateway until ``stop`` is set.

``run_platforms`` starts each gateway, one in-process worker answering for all of them, and
shuts everything down when ``stop`` is set or a gateway fails. Signals are the command line's.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from bot.errors import ConfigError
from bot.ports import Platform
from config.settings import Settings

log = structlog.get_logger(__name__)

# name -> "module:attribute" of its PlatformSpec, imported on first use.
BUILTIN: Mapping[str, str] = {
    "slack": "handlers.slack_run:SLACK",
    "discord": "handlers.discord_run:DISCORD",
}
SHUTDOWN_WAIT_S = 10.0


class RunnableApp(Protocol):
    """What running platforms needs of ``bot.runtime.App``."""

    @property
    def settings(self) -> Settings: ...

    async def run_worker(self, platforms: Mapping[str, Platform], stop: asyncio.Event) -> None: ...


# serve(app, stop, **opts): the gateway, until stop is set
Serve = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class PlatformRuntime:
    """One platform, built for this process. ``close`` releases its clients."""

    platform: Platform
    serve: Serve
    close: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class PlatformSpec:
    """A platform as the registry knows it.

    ``configured(settings)``: its credentials are set (``miru worker`` builds only these).
    ``check(settings, opts)``: raise ``ConfigError`` naming the missing variable for this way of
    serving (e.g. Slack's ``--http`` needs the signing secret), before anything starts.
    ``needs``: what to set, for the message when nothing is configured.
    """

    name: str
    build: Callable[[Settings], PlatformRuntime]
    configured: Callable[[Settings], bool]
    check: Callable[[Settings, Mapping[str, Any]], None] = lambda _s, _o: None
    needs: str = ""


class PlatformRegistry:
    """Name -> ``PlatformSpec``. Built-in platforms load lazily from ``BUILTIN``; tests and
    plug-ins add theirs with ``register``."""

    def __init__(self, builtin: Mapping[str, str] = BUILTIN) -> None:
        self._paths = dict(builtin)
        self._specs: dict[str, PlatformSpec] = {}

    def register(self, spec: PlatformSpec) -> None:
        self._specs[spec.name] = spec

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({*self._paths, *self._specs}))

    def get(self, name: str) -> PlatformSpec:
        """The spec for ``name``; ``ConfigError`` listing the known names when there is none."""
        if name not in self._specs:
            path = self._paths.get(name)
            if path is None:
                raise ConfigError(f"unknown platform {name!r} (known: {', '.join(self.names())})")
            module, _, attr = path.partition(":")
            self._specs[name] = getattr(importlib.import_module(module), attr)
        return self._specs[name]

    def configured(self, settings: Settings) -> list[PlatformSpec]:
        """Every platform whose credentials are set (what ``miru worker`` answers on)."""
        return [spec for spec in map(self.get, self.names()) if spec.configured(settings)]

    def needs(self) -> str:
        """What to set to configure any platform, for a "nothing configured" message."""
        return " or ".join(s.needs for s in map(self.get, self.names()) if s.needs)


async def run_platforms(app: RunnableApp, names: Iterable[str], *, with_worker: bool = True,
                        stop: asyncio.Event | None = None,
                        options: Mapping[str, Mapping[str, Any]] | None = None,
                        registry: PlatformRegistry | None = None) -> None:
    """Run the gateways of ``names`` (and, with ``with_worker``, one worker answering for all
    of them) until ``stop`` is set. ``options[name]`` goes to that platform's ``serve`` as
    keywords. Settings are checked for every platform before anything starts; when a gateway
    fails, everything stops and its error is raised."""
    registry = registry or PlatformRegistry()
    options = options or {}
    specs = [registry.get(name) for name in dict.fromkeys(names)]
    if not specs:
        raise ConfigError("no platform to run")
    for spec in specs:
        spec.check(app.settings, options.get(spec.name, {}))
    stop = stop or asyncio.Event()
    runtimes: dict[str, PlatformRuntime] = {}
    tasks: list[asyncio.Task[None]] = []
    try:
        for spec in specs:
            runtimes[spec.name] = spec.build(app.settings)
        if with_worker:
            platforms = {name: rt.platform for name, rt in runtimes.items()}
            tasks.append(asyncio.create_task(app.run_worker(platforms, stop), name="worker"))
        for name, rt in runtimes.items():
            serve = rt.serve(app, stop, **options.get(name, {}))
            tasks.append(asyncio.create_task(serve, name=f"gateway:{name}"))
        await _until_stopped_or_failed(tasks, stop)
    finally:
        stop.set()
        await _drain(tasks)
        for name, rt in runtimes.items():
            try:
                await rt.close()
            except Exception as exc:  # shutting down: one platform's close must not stop another's
                log.warning("platform.close_failed", platform=name, error=type(exc).__name__)


async def _until_stopped_or_failed(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    for task in done:
        if task is not stopper and not task.cancelled() and task.exception() is not None:
            log.error("platform.task_failed", task=task.get_name(),
                      error=type(task.exception()).__name__)
            raise task.exception()  # type: ignore[misc]


async def _drain(tasks: list[asyncio.Task[None]]) -> None:
    """Give each task ``SHUTDOWN_WAIT_S`` to finish after ``stop``, then cancel it."""
    for task in tasks:
        if task.done():
            continue
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=SHUTDOWN_WAIT_S)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        except (asyncio.CancelledError, Exception) as exc:
            log.warning("platform.stopped_with_error", task=task.get_name(),
                        error=type(exc).__name__)
