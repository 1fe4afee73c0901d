"""Signed Slack requests (events, slash commands, button clicks) for the real Bolt app, and the
events the platform tests send. Light: no model, no ``bot.app``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot import keys
from tests.platform.slack_standin import SlackStandIn

if TYPE_CHECKING:
    from tests.platform.slack_stack import Stack

SIGNING_SECRET = "standin-signing-secret"
USER = "UALICE01"
GENERAL, CONSENT = "CGENERAL1", "CCONSENT1"


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


async def open_home(sender: SlackSender, user: str, *, event_id: str) -> int:
    """The person opened Miru's Home tab (``app_home_opened``, tab ``home``)."""
    return await sender.event({"type": "app_home_opened", "user": user, "channel": "DHOME1",
                               "tab": "home", "event_ts": str(time.time())},
                              event_id=event_id)


async def choose(sender: SlackSender, action_id: str, value: str, *, user: str,
                 team: str | None = None) -> int:
    """A person picked ``value`` in one of the Home tab's select menus."""
    payload = {
        "type": "block_actions", "team": {"id": team or sender.team_id},
        "user": {"id": user, "team_id": team or sender.team_id}, "api_app_id": "AMIRU",
        "trigger_id": "trig", "container": {"type": "view", "view_id": "VHOME"},
        "view": {"id": "VHOME", "type": "home"},
        "actions": [{"action_id": action_id, "block_id": action_id, "type": "static_select",
                     "selected_option": {"text": {"type": "plain_text", "text": value},
                                         "value": value},
                     "action_ts": str(time.time())}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return await sender.raw(body, signed_headers(
        body, content_type="application/x-www-form-urlencoded"))


def mention(standin: SlackStandIn, ts: str, *, channel: str = GENERAL, files: list | None = None,
            text: str = "what is in this picture?", **extra: Any) -> dict[str, Any]:
    event = {"type": "app_mention", "user": USER, "channel": channel, "ts": ts,
             "text": f"<@{standin.bot_user_id}> {text}", "files": files or []}
    event.update(extra)
    return event


async def settle(rdb, seconds: float = 1.0) -> None:
    """Give background listeners a moment, then wait for the job queue to drain."""
    await asyncio.sleep(seconds)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        stream = keys.job_stream("slack")
        groups = rdb.xinfo_groups(stream) if rdb.exists(stream) else []
        if all(g["pending"] == 0 and (g.get("lag") or 0) == 0 for g in groups):
            return
        await asyncio.sleep(0.1)


async def slash(stack: Stack, standin: SlackStandIn, text: str, rid: str,
                *, user: str = USER) -> str:
    """``/miru text``: the HTTP 200 (an empty acknowledgement), then the answer that arrives,
    ephemeral, at the response_url ``rid``."""
    code, body = await stack.sender.command(text, user=user, channel=GENERAL,
                                            response_url=standin.response_url(rid))
    assert code == 200 and not body.get("text")

    def answered() -> list:
        return [c for c in standin.calls_to("response_url") if c.params["rid"] == rid]

    await standin.wait_for(lambda: bool(answered()))
    (call,) = answered()
    assert call.params.get("response_type") == "ephemeral"
    return call.params["text"]
