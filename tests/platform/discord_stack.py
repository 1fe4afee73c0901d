"""A whole Miru on Discord for platform tests: ``build_app`` (real Redis, real ingest, a real
screener from the policy file), the real discord.py client (``handlers.discord_run``) connected
to the Discord stand-in, and a worker. Only the vision model is a test double (it counts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import build_app
from bot.core.platforms import run_platforms
from bot.runtime import App
from config.settings import Settings
from handlers.discord_client import DiscordPlatform
from handlers.discord_run import discord_platform, serve
from tests.conftest import REDIS_URL
from tests.fakes import CountingEngine, i_see
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_stack import SafetyModels


def discord_settings(standin: DiscordStandIn, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": standin.token,
        "discord_api_url": standin.api_url,
        "discord_guild_ready_timeout_s": 0.05,
        "discord_identify_delay_s": 0.0,
        "redis_url": REDIS_URL,
        "data_dir": tmp_path / "var",
        "audit_path": tmp_path / "var" / "audit.jsonl",
        "language": "en",
        "vlm_backend": "ocr",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class DiscordStack:
    app: App
    engine: Any
    standin: DiscordStandIn
    platform: DiscordPlatform


@contextlib.asynccontextmanager
async def discord_stack(settings: Settings, standin: DiscordStandIn, models: SafetyModels, *,
                        worker: bool = True, engine: Any = None) -> AsyncIterator[DiscordStack]:
    """Gateway + worker until the block ends; waits until commands are synced and READY.
    ``engine``: the vision model (a ``CountingEngine`` unless given)."""
    engine = engine or CountingEngine(i_see)
    app = build_app(settings, engine=engine, screener=models.screener(settings),
                    consumer="discord-test")
    platform = discord_platform(settings)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(serve(platform, app, stop))]
    if worker:
        tasks.append(asyncio.create_task(app.run_worker({"discord": platform}, stop)))
    try:
        await asyncio.wait_for(platform.client.wait_until_ready(), 10)
        yield DiscordStack(app, engine, standin, platform)
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 15)
        await platform.close()
        await app.close()


async def run_both(app: App, stop: asyncio.Event, options: dict[str, Any]) -> None:
    await run_platforms(app, ["slack", "discord"], stop=stop, options=options)
