"""``miru doctor``'s platform checks (``bot.health.remote``) against the stand-ins (issue 22):
Slack's token, ``auth.test``, scopes (the ``x-oauth-scopes`` header against what the manifest
asks for) and bot user id; Discord's failures name the URL path and the status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.health.remote import SLACK_SCOPES, _discord, _slack
from tests.platform.conftest import make_settings
from tests.platform.discord_stack import discord_settings
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.discord_standin_rest import MISSING_ACCESS, SERVER_ERROR
from tests.platform.slack_standin import SlackStandIn

MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "slack-manifest.yaml"


def test_the_checked_scopes_are_the_manifests() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(SLACK_SCOPES)


async def _slack_check(standin: SlackStandIn, tmp_path: Path, **overrides):
    return await asyncio.to_thread(_slack, make_settings(standin, tmp_path, **overrides))


async def test_slack_all_good(standin: SlackStandIn, tmp_path: Path) -> None:
    check = await _slack_check(standin, tmp_path)
    assert check.state == "ok", check
    assert standin.bot_user_id in check.detail and standin.team_id not in check.fix
    assert [c.method for c in standin.calls] == ["auth.test"]
    assert standin.calls[0].auth == f"Bearer {standin.token}"


async def test_slack_missing_scopes_are_named(tmp_path: Path) -> None:
    standin = SlackStandIn(scopes=tuple(s for s in SLACK_SCOPES
                                        if s not in ("files:read", "reactions:write")))
    await standin.start()
    try:
        check = await _slack_check(standin, tmp_path)
    finally:
        await standin.close()
    assert check.state == "fail"
    assert "files:read" in check.detail and "reactions:write" in check.detail
    assert "chat:write" not in check.detail and "reinstall" in check.fix


async def test_slack_empty_bot_user_id_is_a_warning(tmp_path: Path) -> None:
    """Without a bot user id, the adapter cannot tell a mention of Miru from any other."""
    standin = SlackStandIn(bot_user_id="")
    await standin.start()
    try:
        check = await _slack_check(standin, tmp_path)
    finally:
        await standin.close()
    assert check.state == "warn" and "mentions" in check.detail and "xoxb" in check.fix


async def test_slack_refused_token(standin: SlackStandIn, tmp_path: Path) -> None:
    check = await _slack_check(standin, tmp_path, SLACK_BOT_TOKEN="xoxb-wrong")
    assert check.state == "fail" and "invalid_auth" in check.detail
    assert "SLACK_BOT_TOKEN" in check.fix


async def test_slack_answering_500_names_the_method_and_status(standin: SlackStandIn,
                                                                tmp_path: Path) -> None:
    standin.fail_next("auth.test", status=500, retry_after=None, times=5)
    check = await _slack_check(standin, tmp_path)
    assert check.state == "fail" and "POST auth.test answered 500" in check.detail


async def test_slack_without_a_scopes_header_warns(standin: SlackStandIn,
                                                   tmp_path: Path) -> None:
    standin.send_scopes = False
    check = await _slack_check(standin, tmp_path)
    assert check.state == "warn" and "scopes" in check.detail


async def test_slack_not_configured_is_fine(standin: SlackStandIn, tmp_path: Path) -> None:
    check = await _slack_check(standin, tmp_path, SLACK_BOT_TOKEN="")
    assert check.state == "ok" and "not configured" in check.detail
    assert standin.calls == []


@pytest.mark.parametrize(("path", "fault", "said"), [
    ("/applications/@me", SERVER_ERROR, "GET /applications/@me answered 500"),
    ("/users/@me", MISSING_ACCESS, "GET /users/@me answered 403"),
])
async def test_discord_failures_name_the_path_and_status(tmp_path: Path, path: str, fault,
                                                         said: str) -> None:
    async with DiscordStandIn() as standin:
        standin.fail("GET", path, fault, times=5)
        check = await asyncio.to_thread(_discord, discord_settings(standin, tmp_path))
    assert check.state == "fail" and said in check.detail, check.detail
