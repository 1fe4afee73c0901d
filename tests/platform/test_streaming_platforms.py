"""Answers that grow: an OpenAI-compatible stand-in streams an answer in chunks with pauses, and
the Slack and Discord stand-ins see the working message posted, then edited with ever longer
text, then replaced by the whole answer. A stream that breaks after some text ends with that
text and the cut-short note; nothing is asked of the model twice."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot import strings
from bot.core.progress import EDIT_INTERVAL_S
from bot.vision.openai_engine import OpenAIEngine
from tests.openai_standin import OpenAIStandIn, Script, delta
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import GENERAL, mention
from tests.platform.slack_stack import COFFEE, SafetyModels, audit_kinds, coffee_file
from tests.platform.test_discord_app import until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

ANSWER = "A white cup of coffee on a saucer"
PAUSE_S = 0.4  # shorter than the edit interval: the throttle must drop some edits


@pytest.fixture
async def model():
    server = await OpenAIStandIn().start()
    yield server
    await server.close()


def engine_for(server: OpenAIStandIn) -> OpenAIEngine:
    return OpenAIEngine(server.base_url, "", "stand-in", timeout_s=5.0, retries=1,
                        backoff_s=0.01)


def chunks(n: int = 8) -> Script:
    """``ANSWER`` in ``n`` chunks, ``PAUSE_S`` apart."""
    parts = ANSWER.split(" ")
    size = -(-len(parts) // n)
    texts = [" ".join(parts[i:i + size]) for i in range(0, len(parts), size)]
    texts = [texts[0]] + [" " + t for t in texts[1:]]
    return Script([delta(t) for t in texts] + [delta("", "stop")], pause_s=PAUSE_S)


def assert_grows(seen: list[str]) -> None:
    """Each text shown extends the one before; at least two partial states before the end
    (the final reply may repeat the last partial)."""
    seen = [s for k, s in enumerate(seen) if k == 0 or s != seen[k - 1]]
    assert len(seen) >= 3, seen
    for before, after in itertools.pairwise(seen):
        assert after.startswith(before) and len(after) > len(before), seen
    assert ANSWER not in seen[:2]


def assert_throttled(times: list[float]) -> None:
    """The working message's post and partial edits are at least the edit interval apart
    (a lower bound only: a slow machine makes the gaps longer, never shorter)."""
    assert len(times) >= 2
    for before, after in itertools.pairwise(times):
        assert after - before >= EDIT_INTERVAL_S - 0.05, times


async def test_slack_sees_the_answer_grow(stacks, standin, model) -> None:
    model.script = [chunks()]
    stack = await stacks(engine=engine_for(model))
    ts = "1700002001.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="EvS1")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts), 30)
    posts = [c for c in standin.calls_to("chat.postMessage")
             if c.params.get("thread_ts") == ts]
    updates = [c.params["text"] for c in standin.calls_to("chat.update")]
    assert len(posts) == 1  # one working message, edited in place
    seen = [posts[0].params["text"], *updates]
    assert seen[-1].startswith(ANSWER)
    assert_grows([s.split("\n\n")[0] for s in seen])
    partial = [posts[0], *standin.calls_to("chat.update")[:-1]]  # the last is the answer
    assert_throttled([c.at for c in partial])
    assert len(partial) < 8  # eight chunks, fewer edits
    assert standin.thread_messages(GENERAL, ts)[0].startswith(ANSWER)
    assert len(model.bodies) == 1 and model.bodies[0]["stream"] is True


async def test_slack_stream_cut_short_keeps_what_arrived(stacks, standin, model) -> None:
    model.script = [Script([delta("The sign"), delta(" says EXIT")], pause_s=0.2, end="drop")]
    stack = await stacks(engine=engine_for(model))
    ts = "1700002002.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="EvS2")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts), 30)
    (answer,) = standin.thread_messages(GENERAL, ts)
    assert answer.startswith("The sign says EXIT\n\n" + strings.t("engine.cut_short", "en"))
    assert len(model.bodies) == 1
    (record,) = [r for r in audit_kinds(stack) if r["kind"] == "answer"]
    assert record["detail"]["cut_short"] == "engine_interrupted"


async def test_discord_sees_the_answer_grow(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb, model) -> None:
    model.script = [chunks()]
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models,
                             engine=engine_for(model)):
        sent = await discord_standin.dispatch_message(
            "general", "what is in this picture?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: "\N{WHITE HEAVY CHECK MARK}" in str(
            discord_standin.reactions.get(mid, [])), 30)
        posted = [c for c in discord_standin.calls("POST", rf"/channels/{mid}/messages")]
        edits = [c.json["content"] for c in discord_standin.calls(
            "PATCH", rf"/channels/{mid}/messages/\d+") if c.json and "content" in c.json]
        assert len(posted) == 1
        seen = [posted[0].json["content"], *edits]
        assert seen[-1].startswith(ANSWER)
        assert_grows([s.split("\n\n")[0] for s in seen])
        patches = discord_standin.calls("PATCH", rf"/channels/{mid}/messages/\d+")
        assert_throttled([posted[0].at, *(c.at for c in patches[:-1])])
        assert len(patches) < 8
        assert len(model.bodies) == 1


async def test_discord_stream_cut_short_keeps_what_arrived(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb, model) -> None:
    model.script = [Script([delta("Half"), delta(" an answer"),
                            ("error", '{"error": {"message": "engine died"}}')], pause_s=0.2)]
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models,
                             engine=engine_for(model)):
        sent = await discord_standin.dispatch_message(
            "general", "what is in this picture?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        note = strings.t("engine.cut_short", "en")
        await until(lambda: any(p.startswith("Half an answer\n\n" + note) for p in [
            str(m.get("content") or "") for m in discord_standin.messages.values()
            if str(m.get("channel_id")) == str(mid)]), 30)
