"""A whole Miru on Slack for platform tests: ``build_app`` (real Redis, real ingest, a real
screener from the policy file) behind the real Bolt app served over HTTP on 127.0.0.1, a worker,
and the Web API stand-in. Only the vision model is a test double (it counts its calls)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from PIL import Image as PILImage
from skimage import data as samples

from bot.app import build_app
from bot.runtime import App
from config.policy import load_policy
from config.settings import Settings
from handlers.slack import build_bolt_app
from handlers.slack_client import SlackPlatform, make_web_client
from handlers.slack_run import start_http
from tests.fakes import CountingEngine, i_see
from tests.platform.slack_events import SlackSender
from tests.platform.slack_standin import SlackStandIn


def jpeg(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(array).convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


COFFEE = jpeg(samples.coffee())
ASTRONAUT = jpeg(samples.astronaut())


def coffee_file(standin: SlackStandIn, file_id: str = "FCOFFEE") -> dict[str, Any]:
    return standin.add_file(file_id, "coffee.jpg", COFFEE, "image/jpeg")


def audit_kinds(stack: Stack) -> list[dict[str, Any]]:
    path = stack.app.settings.audit_path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def write_policy(tmp: Path, *, consent_channels: tuple[str, ...] = (),
                 blocked_sha256: tuple[str, ...] = (),
                 history_off_channels: tuple[str, ...] = ()) -> Path:
    lines = ['version = "1"']
    if blocked_sha256:
        (tmp / "blocked.txt").write_text("\n".join(blocked_sha256) + "\n", encoding="utf-8")
        lines += ["[hash_lists]", 'sha256_files = ["blocked.txt"]']
    for channel in consent_channels:
        lines += [f"[channels.{channel}]", 'consent = "require"']
    for channel in history_off_channels:
        lines += [f"[channels.{channel}]", 'history = "off"']
    path = tmp / "policy.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class SafetyModels:
    """NudeNet and open_nsfw, loaded once per session (they ship in their wheels)."""

    detector: object
    classifier: object

    def screener(self, settings: Settings):
        from safety.hashlist import HashGate
        from safety.nudity import NsfwGate, NudeNetGate
        from safety.screener import Screener

        policy = load_policy(settings.policy_file)
        t = policy.thresholds
        return Screener(
            policy,
            hashes=HashGate(policy.hash_lists.sha256, policy.hash_lists.pdq,
                            max_distance=t.pdq_max_distance),
            detectors=(NudeNetGate(self.detector, policy.classes, t), NsfwGate(self.classifier)),
            age=None,
            timeout_s=settings.gate_timeout_s,
        )


@dataclass
class Stack:
    app: App
    platform: SlackPlatform
    sender: SlackSender
    engine: CountingEngine
    url: str
    stop: asyncio.Event
    tasks: list[asyncio.Task] = field(default_factory=list)
    closers: list = field(default_factory=list)

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=15)
        for close in reversed(self.closers):
            with contextlib.suppress(Exception):
                await close()


async def start_stack(settings: Settings, standin: SlackStandIn, models: SafetyModels, *,
                      engine: CountingEngine | None = None, worker: bool = True,
                      consumer: str = "test-a") -> Stack:
    engine = engine or CountingEngine(i_see)
    app = build_app(settings, engine=engine, screener=models.screener(settings),
                    consumer=consumer)
    platform = SlackPlatform(make_web_client(settings), settings)
    bolt = build_bolt_app(app, platform)
    runner, port = await start_http(bolt, app.ops, host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{port}/slack/events"
    session = aiohttp.ClientSession()
    stop = asyncio.Event()
    stack = Stack(app, platform, SlackSender(url, session, standin.team_id), engine, url, stop)
    stack.closers += [app.close, platform.close, runner.cleanup, session.close]
    if worker:
        stack.tasks.append(asyncio.create_task(app.run_worker({"slack": platform}, stop)))
    return stack
