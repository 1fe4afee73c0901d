"""Socket Mode, the default in docs/slack.md, end to end: ``handlers.slack_run.run_slack`` with
the real slack_bolt ``AsyncSocketModeHandler`` and slack_sdk's Socket Mode client, against the Web
API stand-in (``apps.connections.open``) and a local websocket stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest

from bot.app import build_app
from handlers.slack_run import run_slack
from tests.fakes import CountingEngine, i_see
from tests.platform.conftest import make_settings
from tests.platform.slack_events import GENERAL, mention, settle
from tests.platform.slack_stack import coffee_file, write_policy
from tests.platform.socket_standin import SocketModeStandIn

pytestmark = pytest.mark.slow


@pytest.fixture
async def socket_server(standin):
    server = SocketModeStandIn()
    await server.start()
    standin.socket_url = server.url
    yield server
    await server.close()


async def test_events_arrive_over_socket_mode_and_a_redelivery_is_answered_once(
        standin, socket_server, safety_models, tmp_path, rdb) -> None:
    settings = make_settings(standin, tmp_path, SLACK_APP_TOKEN=standin.app_token,
                             policy_file=write_policy(tmp_path))
    engine = CountingEngine(i_see)
    app = build_app(settings, engine=engine, screener=safety_models.screener(settings),
                    consumer="socket-a")
    stop = asyncio.Event()
    runner = asyncio.create_task(run_slack(app, http=False, stop=stop))
    try:
        await asyncio.wait_for(socket_server.connected.wait(), timeout=15)
        (opened,) = standin.calls_to("apps.connections.open")
        assert opened.auth == f"Bearer {standin.app_token}"  # the app token, not the bot token
        ts = "1700000201.000100"
        body = {"token": "legacy", "team_id": standin.team_id, "api_app_id": "AMIRU",
                "type": "event_callback", "event_id": "EvSock1", "event_time": int(time.time()),
                "event": mention(standin, ts, files=[coffee_file(standin)])}
        await socket_server.send_event(body, envelope_id="env-1")
        first = await socket_server.wait_ack("env-1")
        await socket_server.send_event(body, envelope_id="env-2", retry_attempt=1)
        second = await socket_server.wait_ack("env-2")
        assert {first["envelope_id"], second["envelope_id"]} == {"env-1", "env-2"}
        await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
        await settle(rdb)
        assert standin.thread_messages(GENERAL, ts)[0].startswith("I see 1 image(s).")
        assert len(standin.thread_messages(GENERAL, ts)) == 1
        assert len(engine.requests) == 1
        assert socket_server.connections == 1
        assert all(json.dumps(a).count("envelope_id") == 1 for a in socket_server.acks)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runner, timeout=20)
        await app.close()
