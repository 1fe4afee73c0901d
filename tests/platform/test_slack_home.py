"""Help, ``/miru receipts`` and the App Home tab on Slack (issue 22), end to end: signed
requests to the real Bolt app, the Web API stand-in (``views.publish``), a worker on real
Redis, the real screener and receipt reader."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot import keys, strings
from bot.review.model import Case
from handlers.slack_home import HOME_HISTORY_ACTION, HOME_LANG_ACTION
from tests.platform.conftest import make_settings
from tests.platform.receipt_flow import RECEIPT_EN, audit_records
from tests.platform.slack_events import GENERAL, USER, choose, mention, open_home, slash
from tests.platform.slack_stack import coffee_file, start_stack
from tests.platform.slack_standin import SlackStandIn

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

EVERY_COMMAND = ("/miru receipts", "/miru history", "/miru lang", "/miru forget",
                 "/miru appeal", "/miru help")


def _texts(view: dict[str, Any]) -> str:
    """Every text of a published view, for assertions."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view.get("blocks"))
    return "\n".join(found)


async def _published(standin: SlackStandIn, user: str, count: int) -> dict[str, Any]:
    """The ``count``-th view published for ``user``."""
    def calls() -> list:
        return [c for c in standin.calls_to("views.publish")
                if c.params.get("user_id") == user]

    await standin.wait_for(lambda: len(calls()) >= count)
    return calls()[count - 1].params["view"]


async def test_help_lists_every_command_and_admin_only_for_admins(stacks, standin) -> None:
    stack = await stacks(worker=False)
    text = await slash(stack, standin, "help", "h1")
    assert all(c in text for c in EVERY_COMMAND), text
    assert strings.t("help.ask_mention", "en") in text
    assert strings.t("help.settings_home", "en") in text and "/miru admin" not in text
    standin.admins.add("UADMIN01")  # a workspace admin (users.info)
    assert "/miru admin" in await slash(stack, standin, "help", "h2", user="UADMIN01")
    assert await slash(stack, standin, "settings", "h3") == strings.t("cmd.settings_home", "en")


async def test_miru_receipts_starts_an_expense_thread_in_the_channel(stacks, standin) -> None:
    """It answered "unknown command"; now it posts a root message whose thread is an expense
    thread, as ``@Miru receipts`` makes one."""
    stack = await stacks()
    said = await slash(stack, standin, "receipts", "r1")
    assert said == strings.t("receipts.command_started", "en")
    (root_call,) = [c for c in standin.calls_to("chat.postMessage")
                    if not c.params.get("thread_ts")]
    assert root_call.params["channel"] == GENERAL
    assert root_call.params["text"] == strings.t("receipts.thread_root", "en",
                                                 user=f"<@{USER}>")
    root = next(ts for ts, m in standin.messages.items() if m["thread_ts"] is None)
    await standin.wait_for(lambda: standin.thread_messages(GENERAL, root) == [
        strings.t("receipts.started", "en")], timeout=60)
    ts = f"{root[:-3]}001"
    await stack.sender.event({
        "type": "message", "subtype": "file_share", "channel_type": "channel",
        "channel": GENERAL, "user": USER, "ts": ts, "thread_ts": root, "text": "",
        "files": [standin.add_file("FRCPT1", "r.png", RECEIPT_EN, "image/png")]},
        event_id="EvRcpt1")
    await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, root)) == 2,
                           timeout=90)
    card = standin.thread_messages(GENERAL, root)[1]
    assert card.startswith(strings.t("receipts.card_head", "en", n=1)) and "23.45" in card
    assert len(audit_records(stack.app.settings.audit_path, "receipt")) == 1


async def test_miru_receipts_in_a_dm_is_refused(stacks, standin) -> None:
    stack = await stacks(worker=False)
    code, _ = await stack.sender.command("receipts", user=USER, channel="DALICE01",
                                         response_url=standin.response_url("d1"))
    assert code == 200
    await standin.wait_for(lambda: bool(standin.calls_to("response_url")))
    assert standin.calls_to("response_url")[0].params["text"] == strings.t(
        "receipts.no_channel", "en")
    assert standin.calls_to("chat.postMessage") == []


async def test_home_tab_shows_settings_and_changes_them_audited(stacks, standin, rdb) -> None:
    stack = await stacks()
    await stack.sender.event(mention(standin, "1700000300.000100",
                                     files=[coffee_file(standin)]), event_id="EvH0")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(
        GENERAL, "1700000300.000100"))
    assert await open_home(stack.sender, USER, event_id="EvH1") == 200
    view = await _published(standin, USER, 1)
    text = _texts(view)
    assert view["type"] == "home"
    assert strings.t("home.language_auto", "en") in text
    assert "On: I keep your questions and answers for 7 days and images for 1 day," in text
    assert "You: 1 of no limit images" in text  # the image just answered, counted today
    assert strings.t("home.health", "en") not in text  # not an admin
    actions = {b["accessory"]["action_id"] for b in view["blocks"] if "accessory" in b}
    assert actions == {HOME_LANG_ACTION, HOME_HISTORY_ACTION}

    assert await choose(stack.sender, HOME_LANG_ACTION, "ja", user=USER) == 200
    view = await _published(standin, USER, 2)
    assert strings.t("home.settings", "ja") in _texts(view)  # the view is now in Japanese
    assert await choose(stack.sender, HOME_HISTORY_ACTION, "off", user=USER) == 200
    view = await _published(standin, USER, 3)
    assert strings.t("home.history_off", "ja") in _texts(view)
    assert rdb.hget(keys.user_pref("slack", USER), "lang") == b"ja"
    assert rdb.hget(keys.user_pref("slack", USER), "history") == b"off"
    path = stack.app.settings.audit_path
    assert [r["action"] for r in audit_records(path, "language")] == ["ja"]
    assert [r["action"] for r in audit_records(path, "history")] == ["off"]

    assert await choose(stack.sender, HOME_LANG_ACTION, "fr", user=USER) == 200  # forged
    await _published(standin, USER, 4)
    assert rdb.hget(keys.user_pref("slack", USER), "lang") == b"ja"
    assert len(audit_records(path, "language")) == 1


async def test_home_tab_for_an_admin_and_moderator(standin, safety_models, tmp_path,
                                                   rdb) -> None:
    """Admins see the set-up health (``miru doctor``'s checks, the Slack one against this
    stand-in) and the permissions; moderators see how many cases wait in their workspace."""
    policy = tmp_path / "policy.toml"
    policy.write_text(f'''version = "1"
[tiers.default]
images_per_user_per_day = 50
images_per_workspace_per_day = 1000
[moderators.{standin.team_id}]
channel = "CMODS01"
users = ["{USER}"]
''', encoding="utf-8")
    stack = await start_stack(make_settings(standin, tmp_path, policy_file=policy), standin,
                              safety_models, worker=False)
    try:
        store = stack.app.services.review.store
        for n, workspace in enumerate((standin.team_id, standin.team_id, "TOTHER1")):
            await store.create(Case(id=f"case{n}", action="hold", reasons=("r",), scores={},
                                    created=time.time(), platform="slack",
                                    workspace=workspace, channel=GENERAL, thread="1.1",
                                    message_id="1.1", user="UBOB"), int(time.time()) + 600)
        standin.admins.add(USER)
        await open_home(stack.sender, USER, event_id="EvA1")
        view = await _published(standin, USER, 1)
    finally:
        await stack.close()
    text = _texts(view)
    assert "You: 0 of 50 images" in text and "0 of 1,000" in text
    assert strings.t("home.health", "en") in text
    assert "✅ slack: workspace Miru Test, bot user UMIRUBOT" in text
    assert "redis" in text and "policy" in text
    assert strings.t("admin.show_default", "en") in text
    assert strings.t("home.cases_waiting", "en", count=2) in text  # not the other workspace's
    Path(tmp_path / "home.json").write_text(json.dumps(view))
