"""Miru on Slack end to end: signed HTTP requests to the real Bolt app, a worker on real Redis,
the Web API stand-in recording every call. Only the vision model is a counting test double."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time

import pytest

from bot import keys, strings
from bot.stores.redis_base import open_sync_client
from handlers.slack_blocks import CONSENT_CANCEL_ACTION, CONSENT_CONFIRM_ACTION
from tests.fakes import CountingEngine, i_see
from tests.platform.conftest import SIGNING_SECRET
from tests.platform.slack_events import CONSENT, GENERAL, USER, mention, settle, slash
from tests.platform.slack_stack import (
    ASTRONAUT,
    COFFEE,
    Stack,
    audit_kinds,
    coffee_file,
)
from tests.platform.slack_standin import SlackStandIn

pytestmark = pytest.mark.slow

async def test_mention_with_image_is_answered_in_the_thread(stacks, standin) -> None:
    stack = await stacks()
    ts = "1700000001.000100"
    status = await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]),
                                      event_id="Ev001")
    assert status == 200
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    (answer,) = standin.thread_messages(GENERAL, ts)
    assert answer.startswith("I see 1 image(s).")
    assert standin.reactions(GENERAL, ts)[:1] == ["eyes"]
    await standin.wait_for(lambda: standin.reactions_now(GENERAL, ts) == ["white_check_mark"])
    assert len(stack.engine.requests) == 1
    assert stack.engine.requests[0].question == "what is in this picture?"
    assert {c.auth for c in standin.calls} == {f"Bearer {standin.token}"}


async def test_follow_up_in_an_answered_thread_needs_no_mention(stacks, standin) -> None:
    stack = await stacks()
    root = "1700000002.000100"
    await stack.sender.event(mention(standin, root, files=[coffee_file(standin)]), event_id="Ev2a")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, root))
    follow = {"type": "message", "channel_type": "channel", "channel": GENERAL, "user": USER,
              "ts": "1700000002.000200", "thread_ts": root, "text": "and the colour of the cup?"}
    elsewhere = {**follow, "ts": "1700000002.000300", "thread_ts": "1600000000.000001"}
    await stack.sender.event(elsewhere, event_id="Ev2b")
    await stack.sender.event(follow, event_id="Ev2c")
    await standin.wait_for(lambda: len(stack.engine.requests) == 2)
    await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, root)) == 2)
    second = stack.engine.requests[1]
    assert second.question == "and the colour of the cup?"
    assert len(second.images) == 1 and second.history  # the thread's image and turns came back
    await settle(stack_rdb(stack))
    assert standin.thread_messages(GENERAL, "1600000000.000001") == []
    assert len(stack.engine.requests) == 2


def stack_rdb(stack: Stack):
    return open_sync_client(stack.app.settings.redis_url)


async def test_direct_message_needs_no_mention(stacks, standin) -> None:
    stack = await stacks()
    event = {"type": "message", "channel_type": "im", "channel": "DALICE01", "user": USER,
             "ts": "1700000003.000100", "text": "what is this?", "files": [coffee_file(standin)]}
    await stack.sender.event(event, event_id="Ev003")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions("DALICE01", event["ts"]))
    assert standin.thread_messages("DALICE01", event["ts"])[0].startswith("I see 1 image(s).")


async def test_bot_messages_and_edits_are_ignored(stacks, standin, rdb) -> None:
    stack = await stacks()
    own = {"type": "message", "channel_type": "im", "channel": "DALICE01",
           "user": standin.bot_user_id, "ts": "1700000004.000100", "text": "I see"}
    edit = {"type": "message", "subtype": "message_changed", "channel": "DALICE01",
            "channel_type": "im", "ts": "1700000004.000200",
            "message": {"user": USER, "text": "edited"}}
    for i, event in enumerate((own, edit)):
        assert await stack.sender.event(event, event_id=f"Ev004{i}") == 200
    await settle(rdb)
    assert not rdb.exists(keys.job_stream("slack")) or rdb.xlen(keys.job_stream("slack")) == 0
    assert standin.calls_to("chat.postMessage") == []


async def test_retried_event_is_answered_once(stacks, standin, rdb) -> None:
    stack = await stacks()
    ts = "1700000005.000100"
    event = mention(standin, ts, files=[coffee_file(standin)])
    codes = [await stack.sender.event(event, event_id="Ev005", retry_num=n) for n in (None, 1, 2)]
    assert codes == [200, 200, 200]
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    await settle(rdb)
    assert len(standin.thread_messages(GENERAL, ts)) == 1
    assert len(stack.engine.requests) == 1


async def test_retries_across_two_processes_sharing_redis_answer_once(
        stacks, standin, rdb) -> None:
    engine = CountingEngine(i_see)
    first = await stacks(engine=engine, consumer="proc-a")
    second = await stacks(engine=engine, consumer="proc-b")
    ts = "1700000006.000100"
    event = mention(standin, ts, files=[coffee_file(standin)])
    await asyncio.gather(
        first.sender.event(event, event_id="Ev006"),
        second.sender.event(event, event_id="Ev006", retry_num=1),
        first.sender.event(event, event_id="Ev006", retry_num=2),
    )
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    await settle(rdb)
    assert len(standin.thread_messages(GENERAL, ts)) == 1
    assert len(engine.requests) == 1


async def test_bad_or_missing_signature_is_refused_and_nothing_runs(stacks, standin, rdb) -> None:
    stack = await stacks()
    event = mention(standin, "1700000007.000100", files=[coffee_file(standin)])
    assert await stack.sender.event(event, event_id="Ev007", secret="wrong-secret") == 401
    body = json.dumps({"type": "event_callback", "event_id": "Ev007b", "event": event})
    assert await stack.sender.raw(body, {"Content-Type": "application/json"}) == 401
    stale = json.dumps({"type": "event_callback", "event_id": "Ev007c", "event": event})
    from tests.platform.conftest import signed_headers

    old = signed_headers(stale, secret=SIGNING_SECRET, timestamp=int(time.time()) - 3600)
    assert await stack.sender.raw(stale, old) == 401
    await settle(rdb)
    assert standin.calls == []
    assert not rdb.exists(keys.job_stream("slack")) or rdb.xlen(keys.job_stream("slack")) == 0
    assert stack.engine.requests == []


async def test_blocked_image_never_reaches_the_engine(stacks, standin) -> None:
    sha = hashlib.sha256(COFFEE).hexdigest()
    stack = await stacks(policy={"blocked_sha256": (sha,)})
    ts = "1700000008.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="Ev008")
    await standin.wait_for(lambda: "no_entry" in standin.reactions(GENERAL, ts))
    assert standin.thread_messages(GENERAL, ts) == [strings.t("verdict.blocked", "en")]
    assert stack.engine.requests == []
    verdicts = [r for r in audit_kinds(stack) if r.get("kind") == "verdict"]
    assert verdicts and verdicts[-1]["action"] == "block_and_preserve"


async def _consent_prompt(stack: Stack, standin: SlackStandIn, ts: str) -> str:
    astronaut = standin.add_file("FASTRO", "astronaut.jpg", ASTRONAUT, "image/jpeg")
    await stack.sender.event(mention(standin, ts, channel=CONSENT, files=[astronaut]),
                             event_id=f"Ev{ts}")
    await standin.wait_for(lambda: bool(standin.calls_to("chat.postEphemeral")))
    (prompt,) = standin.calls_to("chat.postEphemeral")
    assert (prompt.params["user"], prompt.params["channel"]) == (USER, CONSENT)
    assert prompt.params["thread_ts"] == ts
    buttons = prompt.params["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Everyone shown agreed", "Cancel"]
    assert stack.engine.requests == []
    assert standin.thread_messages(CONSENT, ts) == []  # nothing public before consent
    return buttons[0]["value"]


async def test_consent_confirmed_continues_the_request(stacks, standin) -> None:
    stack = await stacks(policy={"consent_channels": (CONSENT,)})
    ts = "1700000009.000100"
    request_id = await _consent_prompt(stack, standin, ts)
    code = await stack.sender.action(CONSENT_CONFIRM_ACTION, request_id, user=USER,
                                     channel=CONSENT, response_url=standin.response_url("c1"))
    assert code == 200
    await standin.wait_for(lambda: bool(standin.thread_messages(CONSENT, ts)))
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(CONSENT, ts))
    assert standin.thread_messages(CONSENT, ts)[0].startswith("I see 1 image(s).")
    assert len(stack.engine.requests) == 1
    (closed,) = standin.calls_to("response_url")
    assert closed.params.get("delete_original") is True
    consent = [r for r in audit_kinds(stack) if r.get("kind") == "consent"]
    assert [r["action"] for r in consent] == ["confirmed"]


async def test_consent_cancelled_never_reaches_the_engine(stacks, standin, rdb) -> None:
    stack = await stacks(policy={"consent_channels": (CONSENT,)})
    ts = "1700000010.000100"
    request_id = await _consent_prompt(stack, standin, ts)
    await stack.sender.action(CONSENT_CANCEL_ACTION, request_id, user=USER, channel=CONSENT,
                              response_url=standin.response_url("c2"))
    await standin.wait_for(lambda: bool(standin.calls_to("response_url")))
    assert standin.calls_to("response_url")[0].params["text"] == strings.t(
        "verdict.consent_cancelled", "en")
    await settle(rdb)
    assert stack.engine.requests == []
    assert standin.thread_messages(CONSENT, ts) == []


async def test_slash_forget_leaves_no_key_of_the_user(stacks, standin, rdb) -> None:
    stack = await stacks()
    ts = "1700000011.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="Ev011")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    await slash(stack, standin, "lang en", "f0")
    index = keys.user_index("slack", USER)
    held = {k.decode() for k in rdb.smembers(index)}
    assert held  # the thread's memory and images are indexed under the user
    assert rdb.exists(keys.user_pref("slack", USER))
    assert (await slash(stack, standin, "forget", "f1")).startswith("Done")
    assert not rdb.exists(index, keys.user_pref("slack", USER), *held)
    # Only today's quota counter stays (a number; forgetting must not reset a quota):
    # docs/privacy.md, What forget deletes.
    left = [k.decode() for k in rdb.keys("*") if USER.encode() in k]
    assert all(k.startswith(f"{keys.PREFIX}:quota:") and k.endswith(f":u:{USER}")
               for k in left), left
    audit = [r for r in audit_kinds(stack) if r.get("kind") == "forget"]
    assert len(audit) == 1


async def test_slash_help_and_language(stacks, standin) -> None:
    stack = await stacks(worker=False, language="auto")
    assert (await slash(stack, standin, "help", "h1")).startswith(strings.t("cmd.help", "en"))
    assert await slash(stack, standin, "lang ja", "h2") == strings.t("cmd.lang_set", "ja")
    assert (await slash(stack, standin, "", "h3")).startswith(strings.t("cmd.help", "ja"))
    assert await slash(stack, standin, "lang fr", "h4") == strings.t("cmd.lang_usage", "ja")
    assert await slash(stack, standin, "dance", "h5") == strings.t("cmd.unknown", "ja")


async def test_unusable_files_get_a_clear_reply_in_the_thread(stacks, standin) -> None:
    stack = await stacks(max_bytes=len(COFFEE) - 1)
    cases = {
        "1700000012.000100": (standin.add_file("FPDF", "notes.pdf", b"%PDF-1.4", "application/pdf"),
                              strings.t("reject.format", "en", name="notes.pdf")),
        "1700000012.000200": (coffee_file(standin, "FBIG"), "coffee.jpg is too large"),
        "1700000012.000300": (standin.add_file("FGONE", "gone.png", b"", "image/png", status=404),
                              strings.t("fetch.failed", "en", name="gone.png")),
        "1700000012.000400": (standin.add_file("FHTML", "x.png", b"<html/>", "image/png",
                                               content_type="text/html"),
                              strings.t("fetch.missing_scope", "en")),
    }
    for i, (ts, (file, _)) in enumerate(cases.items()):
        await stack.sender.event(mention(standin, ts, files=[file]), event_id=f"Ev012{i}")
    for ts, (_, expected) in cases.items():
        await standin.wait_for(lambda ts=ts: bool(standin.thread_messages(GENERAL, ts)))
        (reply,) = standin.thread_messages(GENERAL, ts)
        assert expected in reply
        await standin.wait_for(lambda ts=ts: "warning" in standin.reactions(GENERAL, ts))
    assert stack.engine.requests == []


async def test_rate_limited_answer_waits_and_still_arrives(stacks, standin) -> None:
    stack = await stacks()
    standin.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
    ts = "1700000013.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="Ev013")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    assert standin.thread_messages(GENERAL, ts)[0].startswith("I see 1 image(s).")
    assert len(standin.calls_to("chat.postMessage")) == 3  # two 429s, then the post


async def test_redis_down_acknowledges_tells_the_user_and_audits(stacks, standin) -> None:
    stack = await stacks(worker=False, redis_url="redis://127.0.0.1:1/0")
    ts = "1700000014.000100"
    status = await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]),
                                      event_id="Ev014")
    assert status == 200
    await standin.wait_for(lambda: bool(standin.thread_messages(GENERAL, ts)))
    assert standin.thread_messages(GENERAL, ts) == [strings.t("store.unavailable", "en")]
    await standin.wait_for(lambda: "warning" in standin.reactions(GENERAL, ts))
    records = [r for r in audit_kinds(stack) if r.get("kind") == "unavailable"]
    assert len(records) == 1 and records[0]["detail"]["code"] == "store_unavailable"
    assert USER not in json.dumps(records[0])  # pseudonymous
