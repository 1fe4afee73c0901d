"""The gateway's side of issue 7: `/miru` acknowledges at once even when Redis is slow; Slack
Connect users (another organisation in a shared channel) share the thread and their files
arrive through files.info; the optional workspace allow-list."""

from __future__ import annotations

import time

import pytest

from bot import keys, strings
from tests.conftest import CLUSTER
from tests.platform.conftest import REDIS_DB
from tests.platform.delay_proxy import DelayProxy
from tests.platform.slack_events import GENERAL, USER, mention, settle
from tests.platform.slack_stack import coffee_file

pytestmark = pytest.mark.slow

EXTERNAL_TEAM, EXTERNAL_USER = "TPARTNER1", "UBOB0001"
REDIS_DELAY_S = 2.0


@pytest.fixture
async def slow_redis():
    proxy = DelayProxy()
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.mark.skipif(CLUSTER, reason="the delaying proxy stands in front of one server (127.0.0.1:"
                    "6379); a cluster client follows MOVED to the nodes themselves, around it")
async def test_slash_command_is_acknowledged_before_a_slow_redis_answers(
        stacks, standin, slow_redis) -> None:
    stack = await stacks(worker=False, redis_url=f"redis://127.0.0.1:{slow_redis.port}/{REDIS_DB}")
    slow_redis.delay_s = REDIS_DELAY_S  # every Redis command now takes at least 2 s
    url = standin.response_url("slow")
    started = time.monotonic()
    code, body = await stack.sender.command("help", user=USER, channel=GENERAL, response_url=url)
    acked = time.monotonic() - started
    assert code == 200 and not body.get("text")
    assert acked < 1.0, f"the acknowledgement took {acked:.2f} s"
    await standin.wait_for(lambda: bool(standin.calls_to("response_url")), timeout=30)
    (answer,) = standin.calls_to("response_url")
    assert answer.params["text"].startswith(strings.t("cmd.help", "en"))
    assert answer.params["response_type"] == "ephemeral"
    assert answer.at - started >= REDIS_DELAY_S  # it did wait for Redis, after the ack


def external(event: dict) -> dict:
    """The same event as Slack delivers it for a user of another organisation."""
    return {**event, "user": EXTERNAL_USER, "team": EXTERNAL_TEAM, "user_team": EXTERNAL_TEAM,
            "source_team": EXTERNAL_TEAM}


async def test_slack_connect_user_continues_the_thread_with_a_shared_file(
        stacks, standin, rdb) -> None:
    stack = await stacks()
    root = "1700000101.000100"
    await stack.sender.event(mention(standin, root, files=[coffee_file(standin)]),
                             event_id="EvC1")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, root))
    active = keys.active_thread("slack", standin.team_id, GENERAL, root)
    await standin.wait_for(lambda: bool(rdb.exists(active)))
    coffee_file(standin, "FSHARED")  # known to files.info; the event carries only a stub
    follow = external({"type": "message", "channel_type": "channel", "channel": GENERAL,
                       "ts": "1700000101.000200", "thread_ts": root,
                       "text": "and this one?", "files": [standin.connect_stub("FSHARED")]})
    await stack.sender.event(follow, event_id="EvC2")
    await standin.wait_for(lambda: standin.thread_messages(GENERAL, root)[1:] == [
        "I see 2 image(s)."])
    second = stack.engine.requests[1]
    assert second.question == "and this one?"
    assert second.history  # the thread Miru answered in, found under the receiving workspace
    assert len(second.images) == 2  # the thread's image and the one shared from outside
    assert [c.params["file"] for c in standin.calls_to("files.info")] == ["FSHARED"]


async def test_allow_list_ignores_users_of_other_workspaces(stacks, standin, rdb) -> None:
    stack = await stacks(slack_allowed_teams=(standin.team_id,))
    theirs, ours = "1700000102.000100", "1700000102.000200"
    await stack.sender.event(external(mention(standin, theirs, files=[coffee_file(standin)])),
                             event_id="EvA1")
    await stack.sender.event(mention(standin, ours, files=[coffee_file(standin)]),
                             event_id="EvA2")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ours))
    await settle(rdb)
    assert standin.thread_messages(GENERAL, theirs) == []
    assert standin.reactions(GENERAL, theirs) == []
    assert len(stack.engine.requests) == 1
