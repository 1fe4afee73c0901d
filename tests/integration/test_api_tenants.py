"""Issue 19, tenants apart: ``GET /v1/cases`` shows a key its own workspace's cases only, with
deciders as the audit log's pseudonyms; an operator's key (``--all-workspaces``) sees them all.
Cases of a Slack workspace, a Discord guild and the API are opened on the real review queue
(real Redis, the real quarantine) and read through the real server."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot.models import IncomingMessage
from bot.review.model import Case, Decision
from bot.review.service import Actor
from safety.types import Action, Verdict
from tests.clirun import cli_env, miru
from tests.integration.test_api import Stack, bearer, make_stack_settings, run_stack

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SLACK_TEAM, GUILD = "TACME0001", "811111111111111111"
MODERATOR, MODERATOR_NAME = "UMODACME1", "Akiko Moderator"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory) -> AsyncIterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("tenants")
    settings, blocked = make_stack_settings(tmp)
    async for s in run_stack(settings, blocked, tmp):
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


async def _case(stack: Stack, platform: str, workspace: str, channel: str) -> Case:
    review = stack.app.services.review
    assert review is not None
    rid = uuid.uuid4().hex
    msg = IncomingMessage(platform=platform, workspace=workspace, channel=channel, thread=rid,
                          message_id=rid, user="UUPLOADER", text="", event_id=rid)
    verdict = Verdict(Action.HOLD, ("gate_failed",))
    return await review.open_case(msg, rid, verdict, {0: b"not an image"},
                                  link=f"https://example.test/{channel}/{rid}")


async def test_a_key_sees_only_its_own_workspaces_cases(stack, client):
    slack = await _case(stack, "slack", SLACK_TEAM, "CACMEGEN1")
    discord = await _case(stack, "discord", GUILD, "922222222222222222")
    review = stack.app.services.review
    await review.decide(slack.id, Decision.REJECT, Actor("slack", MODERATOR, MODERATOR_NAME))

    acme = await stack.key("cases", workspace=SLACK_TEAM)
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(acme))
    assert r.status_code == 200
    seen = r.json()
    assert [c["id"] for c in seen] == [slack.id]
    assert discord.id not in r.text and "922222222222222222" not in r.text
    (case,) = seen
    assert case["workspace"] == SLACK_TEAM and case["status"] == "rejected"
    # the decider as the audit log names them, never their name
    assert MODERATOR_NAME not in r.text and MODERATOR not in r.text
    decision = next(rec for rec in stack.audit() if rec["kind"] == "review_decision"
                    and rec["detail"]["case"] == slack.id)
    assert case["decided_by"] == decision["actor"] == review.audit.pseudonym("slack", MODERATOR)

    guild = await stack.key("cases", workspace=GUILD)
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(guild))
    assert [c["id"] for c in r.json()] == [discord.id]
    other = await stack.key("cases", workspace="nobody")
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(other))
    assert r.status_code == 200 and r.json() == []

    _, operator = await stack.keys.create(f"op-{uuid.uuid4().hex[:8]}", ("cases",),
                                          all_workspaces=True)
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(operator))
    assert {slack.id, discord.id} <= {c["id"] for c in r.json()}
    assert MODERATOR_NAME not in r.text
    views = [rec["detail"]["workspace"] for rec in stack.audit() if rec["kind"] == "review_view"]
    assert views[-4:] == [SLACK_TEAM, GUILD, "nobody", "*"]


async def test_api_key_create_says_which_cases_a_key_reads(stack, client, tmp_path):
    env = cli_env(tmp_path)
    name = f"op-{uuid.uuid4().hex[:8]}"
    made = await asyncio.to_thread(miru, env, "api-key", "create", name, "--scope", "cases",
                                   "--all-workspaces", timeout=60)
    assert made.returncode == 0, made.stderr
    assert "every workspace's cases" in made.stderr
    plain = await asyncio.to_thread(miru, env, "api-key", "create", name + "-ws", "--scope",
                                    "cases", "--workspace", SLACK_TEAM, timeout=60)
    assert "this workspace's cases only" in plain.stderr
    listed = await asyncio.to_thread(miru, env, "api-key", "list", "--json", timeout=60)
    mine = {k["name"]: k["all_workspaces"] for k in json.loads(listed.stdout)}
    assert mine[name] is True and mine[name + "-ws"] is False
