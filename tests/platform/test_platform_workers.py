"""Workers that serve different platforms on one Redis (issue 19): ``miru run slack`` and ``miru
run discord`` as two processes, each with only its own platform's credentials. A Slack-only
worker used to take Discord jobs and drop them ("no adapter for platform discord; job
dropped"): four of six mentions unanswered, no audit record, nothing in ``miru jobs``, the quota
charged. Now every job is answered by a worker of its platform, and a platform no worker serves
shows in ``miru jobs``, ``/healthz`` and ``miru doctor`` while its jobs wait."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from bot import keys
from bot.core.outcome import request_id_for
from bot.stores.codec import load_message
from tests.clirun import cli_env, miru
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import GENERAL, mention
from tests.platform.slack_stack import COFFEE, SafetyModels, audit_kinds, coffee_file
from tests.platform.slack_standin import SlackStandIn
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

ANSWERED = "I see 1 image(s)."


async def _mention_discord(standin: DiscordStandIn, n: int) -> int:
    sent = await standin.dispatch_message(
        "general", f"look {n}", mention_bot=True, attachments=[(COFFEE, "coffee.jpg",
                                                               "image/jpeg")])
    return int(sent["id"])


async def test_slack_and_discord_workers_each_answer_their_own_platform(
        stacks, standin: SlackStandIn, discord_standin: DiscordStandIn, tmp_path: Path,
        safety_models: SafetyModels, rdb: object) -> None:
    slack = await stacks(consumer="slack-only")  # gateway + worker, Slack credentials only
    settings = discord_settings(discord_standin, tmp_path / "discord")
    async with discord_stack(settings, discord_standin, safety_models) as discord:
        ids = [await _mention_discord(discord_standin, n) for n in range(6)]
        stamps = [f"170000000{n}.000100" for n in range(6)]
        for n, ts in enumerate(stamps):
            files = [coffee_file(standin, f"FCOFFEE{n}")]
            assert await slack.sender.event(mention(standin, ts, files=files),
                                            event_id=f"Ev{n}") == 200
        await until(lambda: all(any(ANSWERED in p for p in posts_in(discord_standin, mid))
                                for mid in ids), timeout=60)
        await until(lambda: all("white_check_mark" in standin.reactions(GENERAL, ts)
                                for ts in stamps), timeout=60)
        # every request reached exactly one engine: its own platform's worker's
        assert len(discord.engine.requests) == 6 and len(slack.engine.requests) == 6
        assert rdb.xlen(keys.JOB_DEAD_STREAM) == 0  # type: ignore[attr-defined]


async def test_discord_jobs_with_no_discord_worker_wait_and_show_everywhere(
        stacks, standin: SlackStandIn, discord_standin: DiscordStandIn, tmp_path: Path,
        safety_models: SafetyModels, rdb: object) -> None:
    slack = await stacks(consumer="slack-only")
    settings = discord_settings(discord_standin, tmp_path / "discord")
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as gw:
        ids = [await _mention_discord(discord_standin, n) for n in range(2)]
        stream = keys.job_stream("discord")
        await until(lambda: rdb.exists(stream) and rdb.xlen(stream) == 2)  # type: ignore
        await asyncio.sleep(1.5)  # the Slack worker keeps beating and reading; it takes none
        assert rdb.xlen(stream) == 2  # type: ignore[attr-defined]
        assert slack.engine.requests == []

        env = cli_env(tmp_path / "cli")
        shown = json.loads(miru(env, "jobs", "--json", timeout=60).stdout)
        assert shown["unserved"] == ["discord"]
        rows = {r["platform"]: r for r in shown["platforms"]}
        assert (rows["discord"]["queued"], rows["discord"]["workers"]) == (2, 0)
        text = miru(env, "jobs", timeout=60).stdout
        assert "no worker serves discord" in text

        async with aiohttp.ClientSession() as session:
            health_url = slack.url.replace("/slack/events", "/healthz")
            async with session.get(health_url) as resp:
                health = await resp.json()
                assert resp.status == 503
        assert health["status"] == "degraded" and health["unserved"] == {"discord": 2}
        assert any("no worker serves discord: 2 job(s) waiting" in r for r in health["reasons"])

        doctor = miru(env, "doctor", timeout=120)
        line = next(x for x in doctor.stdout.splitlines() if "] jobs:" in x)
        assert doctor.returncode == 1 and "no worker serves discord" in line, doctor.stdout
        assert "DISCORD_TOKEN" in doctor.stdout

        # A Discord worker starts: the jobs that waited are answered, none was dropped.
        stop = asyncio.Event()
        worker = asyncio.create_task(gw.app.run_worker({"discord": gw.platform}, stop))
        try:
            await until(lambda: all(any(ANSWERED in p for p in posts_in(discord_standin, mid))
                                    for mid in ids), timeout=60)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 20)
        assert len(gw.engine.requests) == 2


async def test_a_job_left_unserved_too_long_is_dead_lettered_audited_refunded_and_told(
        stacks, standin: SlackStandIn, discord_standin: DiscordStandIn, tmp_path: Path,
        safety_models: SafetyModels, rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path / "discord")
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as gw:
        mid = await _mention_discord(discord_standin, 1)
        stream = keys.job_stream("discord")
        await until(lambda: rdb.exists(stream) and rdb.xlen(stream) == 1)  # type: ignore
        [(_, fields)] = rdb.xrange(stream)  # type: ignore[attr-defined]
        message = load_message(fields[b"msg"])
        charged = keys.quota_charged("discord", message.workspace, request_id_for(message))
        assert rdb.exists(charged)  # type: ignore[attr-defined]
        await asyncio.sleep(1.2)
        # A Slack worker starts and sweeps: the Discord job waited past the limit.
        slack = await stacks(consumer="slack-only", job_unserved_max_s=1.0)
        await until(lambda: rdb.xlen(keys.JOB_DEAD_STREAM) == 1)  # type: ignore[attr-defined]
        [(_, dead)] = rdb.xrange(keys.JOB_DEAD_STREAM)  # type: ignore[attr-defined]
        assert dead[b"reason"] == b"unserved"
        await until(lambda: rdb.xlen(stream) == 0)  # type: ignore[attr-defined]  # moved
        await until(lambda: any(r["kind"] == "job_unserved" for r in audit_kinds(slack)))
        await until(lambda: not rdb.exists(charged))  # type: ignore  # never answered: refunded
        assert posts_in(discord_standin, mid) == []  # nothing could tell the user yet
        # The next Discord worker tells the user their request went unanswered.
        stop = asyncio.Event()
        worker = asyncio.create_task(gw.app.run_worker({"discord": gw.platform}, stop))
        try:
            await until(lambda: any("could not get to this request" in p
                                    for p in posts_in(discord_standin, mid)), timeout=30)
        finally:
            stop.set()
            await asyncio.wait_for(worker, 20)
        assert gw.engine.requests == []
        assert rdb.llen(keys.job_unserved_tell("discord")) == 0  # type: ignore[attr-defined]
