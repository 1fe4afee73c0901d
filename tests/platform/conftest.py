"""Fixtures for the Slack platform tests: the Web API stand-in, settings pointing at it, signed
requests to the real Bolt app, and a full Miru stack (gateway + worker) on a private Redis DB."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from config.settings import Settings
from tests.conftest import REDIS_URL
from tests.platform.slack_standin import SlackStandIn

SIGNING_SECRET = "standin-signing-secret"
# The platform tests' own DB (MIRU_TEST_REDIS_URL's, 13 by default); flushed before and after
# each test, so parallel runs on one machine each name their own DB.
REDIS_DB = int(urlparse(REDIS_URL).path.lstrip("/") or 0)


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    server = SlackStandIn()
    await server.start()
    yield server
    await server.close()


def make_settings(standin: SlackStandIn, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": standin.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "slack_api_url": standin.api_url,
        "redis_url": f"redis://127.0.0.1:6379/{REDIS_DB}",
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


def signed_headers(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
        "Content-Type": content_type,
    }


class SlackSender:
    """Posts signed Slack requests (events, slash commands, button clicks) to a Bolt endpoint."""

    def __init__(self, url: str, session: aiohttp.ClientSession, team_id: str) -> None:
        self.url = url
        self.session = session
        self.team_id = team_id

    async def raw(self, body: str, headers: dict[str, str]) -> int:
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            await resp.read()
            return resp.status

    async def event(self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None,
                    secret: str = SIGNING_SECRET) -> int:
        body = json.dumps({
            "token": "legacy", "team_id": self.team_id, "api_app_id": "AMIRU",
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "event": event,
        })
        headers = signed_headers(body, secret=secret)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.raw(body, headers)

    async def command(self, text: str, *, user: str, channel: str, response_url: str) -> tuple[
            int, dict[str, Any]]:
        body = urlencode({
            "command": "/miru", "text": text, "user_id": user, "team_id": self.team_id,
            "channel_id": channel, "response_url": response_url, "trigger_id": "trig",
        })
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            text_body = await resp.text()
            # Bolt answers ack(text=...) as plain text, which Slack shows the caller only.
            parsed = json.loads(text_body) if text_body.startswith("{") else {"text": text_body}
            return resp.status, parsed

    async def action(self, action_id: str, value: str, *, user: str, channel: str,
                     response_url: str) -> int:
        payload = {
            "type": "block_actions", "team": {"id": self.team_id}, "user": {"id": user},
            "api_app_id": "AMIRU", "trigger_id": "trig", "response_url": response_url,
            "channel": {"id": channel}, "container": {"type": "message", "is_ephemeral": True},
            "actions": [{"action_id": action_id, "block_id": "miru_consent", "value": value,
                         "type": "button", "action_ts": str(time.time())}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.raw(body, signed_headers(
            body, content_type="application/x-www-form-urlencoded"))
