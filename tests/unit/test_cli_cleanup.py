"""``miru worker``, ``miru run`` and ``miru chat`` close the app they built (its Redis client,
its engine) on every path, also when the set-up after ``build_app`` fails: a platform that
cannot be built, a closed stdout or stderr. The app and the platforms are fakes that note
their closing."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

import bot.cli.chat as chat
import bot.cli.run as run
from bot.core.platforms import PlatformRegistry, PlatformRuntime, PlatformSpec
from bot.errors import ConfigError
from config.settings import Settings
from tests.fakes import FakePlatform


@dataclass
class ClosingApp:
    engine_note: str = ""
    closed: int = 0
    services: Any = None

    def __post_init__(self) -> None:
        self.services = SimpleNamespace(engine_note=self.engine_note)

    async def close(self) -> None:
        self.closed += 1


@dataclass
class Closed:
    names: list[str] = field(default_factory=list)


def _spec(name: str, closed: Closed, *, broken: bool = False) -> PlatformSpec:
    def build(_settings: Settings) -> PlatformRuntime:
        if broken:
            raise ConfigError(f"{name}: cannot be built")

        async def serve(app: Any, stop: asyncio.Event, **opts: Any) -> None:
            await stop.wait()

        async def close() -> None:
            closed.names.append(name)

        return PlatformRuntime(FakePlatform(name=name), serve, close)

    return PlatformSpec(name, build, lambda _s: True)


class _Broken:
    """A stream whose reader has gone (``| head``): every write raises."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError


def _settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


async def test_worker_closes_the_app_and_the_built_platforms_when_one_fails(monkeypatch):
    app, closed = ClosingApp(), Closed()
    reg = PlatformRegistry(builtin={})
    reg.register(_spec("a-chat", closed))
    reg.register(_spec("b-chat", closed, broken=True))  # built second (names are sorted)
    monkeypatch.setattr(run, "build_app", lambda _settings: app)
    monkeypatch.setattr(run, "PlatformRegistry", lambda: reg)
    with pytest.raises(ConfigError, match="b-chat: cannot be built"):
        await run.run_worker_only(_settings())
    assert app.closed == 1
    assert closed.names == ["a-chat"]


async def test_worker_with_no_platform_closes_the_app_once(monkeypatch, capsys):
    app = ClosingApp()
    monkeypatch.setattr(run, "build_app", lambda _settings: app)
    monkeypatch.setattr(run, "PlatformRegistry", lambda: PlatformRegistry(builtin={}))
    assert await run.run_worker_only(_settings()) == run.EX_USAGE
    assert "no platform is configured" in capsys.readouterr().err
    assert app.closed == 1


async def test_run_closes_the_app_when_stderr_is_gone(monkeypatch):
    app = ClosingApp(engine_note="(answers come from OCR)")
    monkeypatch.setattr(run, "build_app", lambda _settings: app)
    monkeypatch.setattr("sys.stderr", _Broken())
    args = argparse.Namespace(
        http=False, host="127.0.0.1", port=3000, platforms=["slack"], no_worker=False
    )
    with pytest.raises(BrokenPipeError):
        await run.run_platform(args, _settings())
    assert app.closed == 1


async def test_chat_closes_the_app_when_stdout_is_gone(monkeypatch):
    app = ClosingApp()
    monkeypatch.setattr(chat, "build_app", lambda _settings, memory_only: app)
    monkeypatch.setattr("sys.stdout", _Broken())
    args = argparse.Namespace(thread=None, images=[], consent=False, lang=None)
    with pytest.raises(BrokenPipeError):
        await chat.chat_command(args, _settings())
    assert app.closed == 1
