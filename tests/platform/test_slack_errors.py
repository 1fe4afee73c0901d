"""The Slack adapter's one error hook (Bolt's ``app.error``): a listener that raises is logged,
audited where a request is known, and the caller still gets a friendly sentence through the
response_url. Real Bolt over signed HTTP, the Web API stand-in, an App on memory stores (no
models, no Redis)."""

from __future__ import annotations

import aiohttp
import pytest

from bot import strings
from handlers.slack import build_bolt_app
from handlers.slack_blocks import CONSENT_CONFIRM_ACTION
from handlers.slack_client import SlackPlatform, make_web_client
from handlers.slack_run import start_http
from tests.platform.conftest import make_settings
from tests.platform.slack_events import GENERAL, USER, SlackSender
from tests.platform.slack_standin import SlackStandIn
from tests.unit.gateway_fakes import make_rig


@pytest.fixture
async def wired(standin: SlackStandIn, tmp_path):
    rig = make_rig(tmp_path / "rig")
    settings = make_settings(standin, tmp_path)
    platform = SlackPlatform(make_web_client(settings), settings)
    runner, port = await start_http(build_bolt_app(rig.app, platform), rig.app.ops,
                                    host="127.0.0.1", port=0)
    session = aiohttp.ClientSession()
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", session, standin.team_id)
    yield rig, sender
    await session.close()
    await runner.cleanup()
    await platform.close()


async def bug(*_args, **_kwargs):
    raise KeyError("a bug")


def answers(standin: SlackStandIn, rid: str) -> list:
    return [c for c in standin.calls_to("response_url") if c.params["rid"] == rid]


async def test_a_command_that_crashes_still_answers_the_caller(standin, wired) -> None:
    rig, sender = wired
    rig.app.account.forget_user = bug  # type: ignore[method-assign]
    code, body = await sender.command("forget", user=USER, channel=GENERAL,
                                      response_url=standin.response_url("crash"))
    assert code == 200 and not body.get("text")
    await standin.wait_for(lambda: bool(answers(standin, "crash")))
    (call,) = answers(standin, "crash")
    assert call.params["text"] == strings.t("error.generic", "en")
    assert call.params["response_type"] == "ephemeral"


async def test_a_consent_press_that_crashes_is_audited_and_answered(standin, wired) -> None:
    rig, sender = wired
    rig.app.account.confirm_consent = bug  # type: ignore[method-assign]
    code = await sender.action(CONSENT_CONFIRM_ACTION, "slack:C1:req-7", user=USER,
                               channel=GENERAL, response_url=standin.response_url("btn"))
    assert code == 200
    await standin.wait_for(lambda: bool(answers(standin, "btn")))
    assert answers(standin, "btn")[0].params["text"] == strings.t("error.generic", "en")
    (record,) = rig.audit_lines()
    assert (record["kind"], record["request_id"]) == ("error", "slack:C1:req-7")
    assert record["detail"] == {"code": "internal:KeyError"}
    assert record["actor"] == rig.app.audit.pseudonym("slack", USER)
