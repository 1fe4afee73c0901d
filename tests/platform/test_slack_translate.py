"""Slack event dict -> IncomingMessage: what Miru answers and what it ignores."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.slack import needs_active_thread, translate_event
from handlers.slack_tenancy import SlackTenant, tenant_of

BOT = "UMIRUBOT"
TEAM = "T0MIRU"


def _file(**extra: Any) -> dict[str, Any]:
    f = {"id": "F1", "name": "menu.png", "mimetype": "image/png", "size": 1234,
         "url_private": "https://files.slack.com/files-pri/T-F1/menu.png",
         "url_private_download": "https://files.slack.com/files-pri/T-F1/download/menu.png"}
    f.update(extra)
    return f


def _mention(**extra: Any) -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "100.1",
             "text": f"<@{BOT}> what does this say?", "files": [_file()]}
    event.update(extra)
    return event


def translate(event: dict[str, Any]):
    return translate_event(event, team_id=TEAM, bot_user_id=BOT)


def test_mention_with_image_becomes_a_message_in_its_own_thread() -> None:
    msg = translate(_mention())
    assert msg is not None
    assert (msg.platform, msg.workspace, msg.channel, msg.user) == ("slack", TEAM, "C1", "U1")
    assert msg.thread == msg.message_id == "100.1"
    assert msg.text == "what does this say?"
    assert msg.event_id == f"{TEAM}:C1:100.1"
    assert not msg.is_dm
    (ref,) = msg.images
    assert ref.url.endswith("/download/menu.png")
    assert (ref.name, ref.mimetype, ref.size, ref.file_id) == ("menu.png", "image/png", 1234, "F1")


def test_mention_inside_a_thread_keeps_the_thread_root() -> None:
    msg = translate(_mention(ts="105.5", thread_ts="100.1"))
    assert msg is not None
    assert (msg.thread, msg.message_id) == ("100.1", "105.5")


def test_other_mentions_stay_in_the_text() -> None:
    msg = translate(_mention(text=f"<@{BOT}> is <@U2|bob> in this photo?"))
    assert msg is not None and msg.text == "is <@U2|bob> in this photo?"


@pytest.mark.parametrize("extra", [
    {"bot_id": "B9"},
    {"user": BOT},
    {"subtype": "bot_message"},
    {"subtype": "message_changed"},
    {"subtype": "message_deleted"},
    {"subtype": "channel_join"},
    {"user": ""},
])
def test_bots_own_messages_edits_and_deletions_are_ignored(extra: dict[str, Any]) -> None:
    assert translate(_mention(**extra)) is None
    assert translate(_mention(type="message", channel_type="im", channel="D1", **extra)) is None


def test_file_share_subtype_is_accepted() -> None:
    msg = translate(_mention(subtype="file_share"))
    assert msg is not None and len(msg.images) == 1


def test_direct_message_needs_no_mention() -> None:
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
             "ts": "7.1", "text": "what is this?", "files": [_file()]}
    msg = translate(event)
    assert msg is not None and msg.is_dm and msg.text == "what is this?"
    assert not needs_active_thread(event, msg)


def test_top_level_channel_message_without_mention_is_ignored() -> None:
    event = {"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1",
             "ts": "7.1", "text": "hello"}
    assert translate(event) is None


def test_thread_follow_up_needs_an_active_thread() -> None:
    event = {"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1",
             "ts": "9.1", "thread_ts": "7.1", "text": "and the price?"}
    msg = translate(event)
    assert msg is not None and msg.thread == "7.1"
    assert needs_active_thread(event, msg)


def test_channel_message_that_mentions_miru_is_left_to_app_mention() -> None:
    event = {"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1",
             "ts": "9.1", "thread_ts": "7.1", "text": f"<@{BOT}> and the price?"}
    assert translate(event) is None
    twin = translate(_mention(ts="9.1", thread_ts="7.1", text=event["text"]))
    assert twin is not None and twin.event_id == f"{TEAM}:C1:9.1"


def test_files_without_ids_are_skipped() -> None:
    msg = translate(_mention(files=[{"name": "x"}, _file(id="F2")]))
    assert msg is not None
    assert [r.file_id for r in msg.images] == ["F2"]


def test_slack_connect_user_keys_on_the_receiving_workspace() -> None:
    """An external user's follow-up (their own team in the event) joins the same thread."""
    ours = translate(_mention(team=TEAM))
    theirs = translate(_mention(ts="105.5", thread_ts="100.1", team="TEXTERNAL",
                                user_team="TEXTERNAL", source_team="TEXTERNAL"))
    assert ours is not None and theirs is not None
    assert theirs.workspace == TEAM
    assert theirs.thread_key == ours.thread_key
    assert theirs.event_id == f"{TEAM}:C1:105.5"


def test_file_from_another_organisation_has_no_url_to_fetch() -> None:
    stub = {"id": "FEXT", "mode": "file_access", "file_access": "check_file_info"}
    msg = translate(_mention(files=[stub, _file(file_access="check_file_info")]))
    assert msg is not None
    assert [(r.file_id, r.url) for r in msg.images] == [("FEXT", ""), ("F1", "")]


@pytest.mark.parametrize(("allowed", "event_team", "ok"), [
    ((), "TEXTERNAL", True),
    ((TEAM,), TEAM, True),
    ((TEAM,), "TEXTERNAL", False),
    ((TEAM, "TEXTERNAL"), "TEXTERNAL", True),
    (("TOTHER",), "TOTHER", False),  # the receiving workspace itself is not on the list
])
def test_team_allow_list(allowed: tuple[str, ...], event_team: str, ok: bool) -> None:
    event = _mention(team=event_team, user_team=event_team)
    body = {"type": "event_callback", "team_id": TEAM, "event": event}
    assert tenant_of(body, {}).allowed(allowed) is ok


class _Auth:
    team_id, enterprise_id = TEAM, None


@pytest.mark.parametrize(("body", "foreign", "actor"), [
    # a slash command in the installed workspace
    ({"command": "/miru", "team_id": TEAM, "user_id": "U1"}, False, TEAM),
    # a button pressed by a Slack Connect user: their own team in user.team_id
    ({"type": "block_actions", "team": {"id": TEAM}, "user": {"id": "U2", "team_id": "TEXT"}},
     True, "TEXT"),
    # a button whose payload names another team altogether
    ({"type": "block_actions", "team": {"id": "TEXT"}, "user": {"id": "U2"}}, True, "TEXT"),
    # a modal submitted from a Grid user of another organisation
    ({"type": "view_submission", "team": {"id": TEAM}, "view": {"id": "V1"},
      "user": {"id": "W3", "team_id": TEAM, "enterprise_id": "EOTHER"}}, True, TEAM),
    # an event from a connected Grid organisation (user_team is an enterprise id)
    ({"type": "event_callback", "team_id": TEAM, "event": _mention(user_team="EOTHER")},
     True, "EOTHER"),
])
def test_requests_of_another_organisation_are_foreign(body: dict, foreign: bool,
                                                     actor: str) -> None:
    tenant = tenant_of(body, {"authorize_result": _Auth()})
    assert tenant.workspace == TEAM
    assert tenant.foreign is foreign
    assert tenant.actor_workspace == (actor if foreign else TEAM)


def test_same_grid_organisation_is_not_foreign() -> None:
    assert not SlackTenant(TEAM, "EACME", "TSISTER", "EACME").foreign
    assert SlackTenant(TEAM, "EACME", "TOTHER", "EOTHER").foreign
