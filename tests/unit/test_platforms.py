"""The platform registry and ``run_platforms`` (bot/core/platforms.py) with fake platforms: one
worker for every gateway, options per platform, settings checked before anything starts, and
everything shut down on ``stop`` or when a gateway fails."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.core.platforms import PlatformRegistry, PlatformRuntime, PlatformSpec, run_platforms
from bot.errors import ConfigError
from config.settings import Settings
from tests.fakes import FakePlatform


@dataclass
class FakeApp:
    settings: Settings = field(default_factory=lambda: Settings(_env_file=None))  # type: ignore[call-arg]
    worker_platforms: list[dict] = field(default_factory=list)

    async def run_worker(self, platforms, stop: asyncio.Event) -> None:
        self.worker_platforms.append(dict(platforms))
        await stop.wait()


@dataclass
class Log:
    events: list[tuple[str, ...]] = field(default_factory=list)


def spec(name: str, log: Log, *, fail: bool = False, configured: bool = True,
         needs: str = "") -> PlatformSpec:
    def build(_settings: Settings) -> PlatformRuntime:
        log.events.append(("build", name))
        platform = FakePlatform(name=name)

        async def serve(app: Any, stop: asyncio.Event, **opts: Any) -> None:
            log.events.append(("serve", name, repr(sorted(opts.items()))))
            if fail:
                raise RuntimeError(f"{name} gateway broke")
            await stop.wait()

        async def close() -> None:
            log.events.append(("close", name))

        return PlatformRuntime(platform, serve, close)

    def check(_settings: Settings, opts: Any) -> None:
        log.events.append(("check", name))
        if opts.get("bad"):
            raise ConfigError(f"{name}: bad option")

    return PlatformSpec(name, build, lambda _s: configured, check, needs)


def registry(*specs: PlatformSpec) -> PlatformRegistry:
    reg = PlatformRegistry(builtin={})
    for s in specs:
        reg.register(s)
    return reg


async def test_two_gateways_share_one_worker_and_stop_together() -> None:
    log, app, stop = Log(), FakeApp(), asyncio.Event()
    reg = registry(spec("slack", log), spec("discord", log))
    run = asyncio.create_task(run_platforms(app, ["slack", "discord"], stop=stop, registry=reg,
                                            options={"slack": {"http": True}}))
    await asyncio.sleep(0.05)
    assert ("serve", "slack", "[('http', True)]") in log.events
    assert ("serve", "discord", "[]") in log.events
    (platforms,) = app.worker_platforms
    assert sorted(platforms) == ["discord", "slack"]
    stop.set()
    await asyncio.wait_for(run, 2)
    assert [e for e in log.events if e[0] == "close"] == [("close", "slack"), ("close", "discord")]


async def test_no_worker_runs_only_the_gateways() -> None:
    log, app, stop = Log(), FakeApp(), asyncio.Event()
    stop.set()
    await run_platforms(app, ["slack"], with_worker=False, stop=stop,
                        registry=registry(spec("slack", log)))
    assert app.worker_platforms == []
    assert ("close", "slack") in log.events


async def test_a_failing_gateway_stops_the_others_and_raises() -> None:
    log, app, stop = Log(), FakeApp(), asyncio.Event()
    reg = registry(spec("slack", log), spec("discord", log, fail=True))
    with pytest.raises(RuntimeError, match="discord gateway broke"):
        await asyncio.wait_for(run_platforms(app, ["slack", "discord"], stop=stop,
                                             registry=reg), 2)
    assert stop.is_set()
    assert {e for e in log.events if e[0] == "close"} == {("close", "slack"), ("close", "discord")}


async def test_settings_are_checked_for_every_platform_before_anything_starts() -> None:
    log, app = Log(), FakeApp()
    reg = registry(spec("slack", log), spec("discord", log))
    with pytest.raises(ConfigError, match="discord: bad option"):
        await run_platforms(app, ["slack", "discord"], registry=reg,
                            options={"discord": {"bad": True}})
    assert [e[0] for e in log.events] == ["check", "check"]


async def test_unknown_platform_names_the_known_ones() -> None:
    reg = registry(spec("slack", Log()))
    with pytest.raises(ConfigError, match=r"unknown platform 'irc' \(known: slack\)"):
        await run_platforms(FakeApp(), ["irc"], registry=reg)


def test_configured_platforms_and_what_to_set() -> None:
    log = Log()
    reg = registry(spec("slack", log, needs="SLACK_BOT_TOKEN"),
                   spec("discord", log, configured=False, needs="DISCORD_TOKEN"))
    assert [s.name for s in reg.configured(FakeApp().settings)] == ["slack"]
    assert reg.needs() == "DISCORD_TOKEN or SLACK_BOT_TOKEN"


def test_slack_is_built_in_and_loads_lazily() -> None:
    reg = PlatformRegistry()
    assert "slack" in reg.names()
    slack = reg.get("slack")
    assert slack.name == "slack" and slack.needs == "SLACK_BOT_TOKEN"
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        slack.check(Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-1"), {})  # type: ignore[call-arg]
