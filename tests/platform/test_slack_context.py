"""The thread's context on Slack, end to end (issue 20.2, 20.5): real Bolt (signed requests),
the Web API stand-in, real Redis, real gates and a worker.

"this is my 14 year old daughter" in one mention, an image with "rate her" in the next message
of the thread: the image is stopped and preserved, and the moderators' card lists the age signal
with its source (an earlier turn), without the uploader's words. No explicit imagery: the
benign photo counts as a weak sexual signal by policy configuration alone (``nsfw_low = 0``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import strings
from tests.platform.conftest import make_settings
from tests.platform.slack_events import GENERAL, mention
from tests.platform.slack_stack import coffee_file, start_stack

pytestmark = pytest.mark.slow

MODS = "CMODS00002"
MODERATOR = "UMODERAT02"


def _policy(tmp: Path, standin) -> Path:
    path = tmp / "policy.toml"
    path.write_text("\n".join([
        'version = "1"', "[thresholds]", "nsfw_low = 0.0", "[defaults]", 'consent = "off"',
        f"[moderators.{standin.team_id}]", f'channel = "{MODS}"', f'users = ["{MODERATOR}"]',
    ]) + "\n")
    return path


def _cards(standin) -> list:
    return [c for c in standin.calls_to("chat.postMessage") if c.params.get("channel") == MODS]


async def test_a_minor_named_in_the_thread_stops_the_next_image_and_the_card_says_where(
        standin, safety_models, tmp_path, rdb):
    settings = make_settings(standin, tmp_path, policy_file=_policy(tmp_path, standin))
    stack = await start_stack(settings, standin, safety_models)
    root, reply = "1700000501.000100", "1700000501.000200"
    try:
        await stack.sender.event(mention(standin, root, text="this is my 14 year old daughter"),
                                 event_id="Ectx1")
        await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, root)) == 1)
        await stack.sender.event(mention(standin, reply, text="rate her", thread_ts=root,
                                         files=[coffee_file(standin)]), event_id="Ectx2")
        await standin.wait_for(lambda: bool(_cards(standin)))
        await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, root)) == 2)
    finally:
        await stack.close()
    assert stack.engine.requests == []  # no model saw the image
    assert standin.thread_messages(GENERAL, root)[-1] == strings.t("verdict.blocked", "en")
    card = json.dumps(_cards(standin)[0].params.get("blocks"), ensure_ascii=False)
    assert "block_and_preserve" in card and "minor_sexual" in card
    assert strings.t("review.signals_title") in card
    assert "“age:14” from an earlier turn" in card
    assert "daughter" not in card
