"""Issue 19, tenants apart, on Slack (real Bolt, signed requests, the Web API stand-in, real
Redis): the workspace allow-list holds for every kind of request, not only messages; a user of
another organisation is never an admin or a moderator here."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot import strings
from bot.models import IncomingMessage
from bot.review.model import CaseStatus
from safety.types import Action, Verdict
from tests.platform.conftest import make_settings
from tests.platform.slack_events import GENERAL, USER, open_home, signed_headers, slash
from tests.platform.slack_stack import Stack, audit_kinds, start_stack

pytestmark = pytest.mark.slow

OTHER_TEAM, OTHER_USER = "TPARTNER1", "UPARTNER1"
MODS = "CMODS00001"
NOT_ALLOWED = strings.t("slack.team_not_allowed", "en")


def _policy(tmp: Path, standin) -> Path:
    """This workspace's moderators (none listed by name) and the partner organisation's own,
    who moderate *their* workspace."""
    path = tmp / "policy.toml"
    path.write_text("\n".join([
        'version = "1"', f"[moderators.{standin.team_id}]", f'channel = "{MODS}"',
        'users = ["UMODERAT01"]', f"[moderators.{OTHER_TEAM}]", 'channel = "CPARTNERMODS"',
        f'users = ["{OTHER_USER}"]',
    ]) + "\n")
    return path


@pytest.fixture
async def tenant_stack(standin, safety_models, tmp_path, rdb):
    started: list[Stack] = []

    async def make(**overrides: Any) -> Stack:
        settings = make_settings(standin, tmp_path, policy_file=_policy(tmp_path, standin),
                                 **overrides)
        stack = await start_stack(settings, standin, safety_models, worker=False)
        started.append(stack)
        return stack

    yield make
    for stack in started:
        await stack.close()


async def _interact(stack: Stack, payload: dict[str, Any]) -> int:
    body = urlencode({"payload": json.dumps(payload)})
    return await stack.sender.raw(body, signed_headers(
        body, content_type="application/x-www-form-urlencoded"))


def _button(action_id: str, value: str, *, team: str, user: str, user_team: str,
            response_url: str) -> dict[str, Any]:
    return {"type": "block_actions", "team": {"id": team},
            "user": {"id": user, "team_id": user_team}, "api_app_id": "AMIRU",
            "trigger_id": "trig", "response_url": response_url, "channel": {"id": MODS},
            "container": {"type": "message", "message_ts": "1.1"},
            "actions": [{"action_id": action_id, "block_id": "b", "value": value,
                         "type": "button", "action_ts": str(time.time())}]}


async def _answer(standin, rid: str) -> str:
    await standin.wait_for(lambda: any(c.params["rid"] == rid
                                       for c in standin.calls_to("response_url")))
    return next(c.params["text"] for c in standin.calls_to("response_url")
                if c.params["rid"] == rid)


async def _held_case(stack: Stack, workspace: str) -> str:
    review = stack.app.services.review
    assert review is not None
    msg = IncomingMessage(platform="slack", workspace=workspace, channel=GENERAL,
                          thread="1.1", message_id="1.1", user=USER, text="",
                          event_id=f"slack:{workspace}:1.1")
    case = await review.open_case(msg, "r1", Verdict(Action.HOLD, ("gate_failed",)),
                                  {0: b"evidence"})
    return case.id


async def test_allow_list_holds_for_commands_buttons_views_and_the_home_tab(
        tenant_stack, standin, rdb) -> None:
    stack = await tenant_stack(slack_allowed_teams=(standin.team_id,))
    case = await _held_case(stack, standin.team_id)
    # /miru from a workspace not on the list: told so, nothing run (the language stays)
    stack.sender.team_id = OTHER_TEAM
    code, _ = await stack.sender.command("lang ja", user=OTHER_USER, channel=GENERAL,
                                         response_url=standin.response_url("cmd"))
    stack.sender.team_id = standin.team_id
    assert code == 200
    assert await _answer(standin, "cmd") == NOT_ALLOWED
    assert await stack.app.account.language_for("slack", OTHER_USER) == "en"
    # a review button and a consent button pressed by a user of that workspace
    await _interact(stack, _button("miru_review_approve", case, team=standin.team_id,
                                   user=OTHER_USER, user_team=OTHER_TEAM,
                                   response_url=standin.response_url("review")))
    assert await _answer(standin, "review") == NOT_ALLOWED
    await _interact(stack, _button("miru_consent_confirm", "req-1", team=OTHER_TEAM,
                                   user=OTHER_USER, user_team=OTHER_TEAM,
                                   response_url=standin.response_url("consent")))
    assert await _answer(standin, "consent") == NOT_ALLOWED
    # a reason modal submitted from there (an empty reason would be answered privately)
    await _interact(stack, {
        "type": "view_submission", "team": {"id": OTHER_TEAM},
        "user": {"id": OTHER_USER, "team_id": OTHER_TEAM}, "api_app_id": "AMIRU",
        "view": {"id": "VREASON", "callback_id": "miru_act_reason",
                 "private_metadata": json.dumps({"value": "a1|approve|1|reject #1",
                                                 "team": OTHER_TEAM, "channel": GENERAL,
                                                 "thread": "1.1"}),
                 "state": {"values": {"reason": {"reason": {"value": " "}}}}}})
    # the Home tab of that workspace's user
    stack.sender.team_id = OTHER_TEAM
    await open_home(stack.sender, OTHER_USER, event_id="EvHomeOther")
    stack.sender.team_id = standin.team_id
    await open_home(stack.sender, USER, event_id="EvHomeOurs")
    await standin.wait_for(lambda: USER in standin.home_views)
    assert OTHER_USER not in standin.home_views
    assert standin.calls_to("chat.postEphemeral") == []
    got = await stack.app.services.review.store.get(case)
    assert got is not None and got.status is CaseStatus.PENDING
    assert "review_refused" not in {r["kind"] for r in audit_kinds(stack)}  # never got there


async def test_a_partner_organisations_admin_is_not_an_admin_here(tenant_stack, standin,
                                                                  rdb) -> None:
    """Slack Connect: users.info says the partner's user is an admin, of their own team."""
    stack = await tenant_stack()
    standin.admins.add(OTHER_USER)
    standin.user_teams[OTHER_USER] = OTHER_TEAM
    said = await slash(stack, standin, "admin everyone view", "adm", user=OTHER_USER)
    assert said == strings.t("admin.not_admin", "en")
    assert "permission_denied" in {r["kind"] for r in audit_kinds(stack)}
    assert "permission_change" not in {r["kind"] for r in audit_kinds(stack)}
    standin.admins.add(USER)  # this workspace's own admin still is one
    ours = await slash(stack, standin, "admin show", "adm2")
    assert ours != strings.t("admin.not_admin", "en")


async def test_a_partner_workspaces_moderator_cannot_decide_our_case(tenant_stack, standin,
                                                                     rdb) -> None:
    """The partner organisation's moderator presses Approve on a case of this workspace; the
    payload names their own team."""
    stack = await tenant_stack()
    case = await _held_case(stack, standin.team_id)
    for rid, team in (("p1", OTHER_TEAM), ("p2", standin.team_id)):
        await _interact(stack, _button("miru_review_approve", case, team=team,
                                       user=OTHER_USER, user_team=OTHER_TEAM,
                                       response_url=standin.response_url(rid)))
        said = await _answer(standin, rid)
        assert said == strings.t("review.other_workspace", "en", case=case)
    got = await stack.app.services.review.store.get(case)
    assert got is not None and got.status is CaseStatus.PENDING
    refused = [r for r in audit_kinds(stack) if r["kind"] == "review_refused"]
    assert [r["detail"].get("why") for r in refused] == ["other_workspace"] * 2
