"""``/miru history [on|off]`` (bot/core/commands.py, the gateway, ``Account``): parsing, what each
answer says, the choice surviving ``forget``, the audit record, and bad arguments."""

from __future__ import annotations

import pytest

from bot import strings
from bot.core.commands import Forget, History, SetLanguage, parse_command
from bot.models import Turn
from config.policy import ChannelPolicy, HistoryMode, PolicyConfig
from tests.unit.gateway_fakes import BrokenState, make_rig, msg


@pytest.mark.parametrize(("text", "command"), [
    ("history", History("")),
    ("HISTORY Off", History("off")),
    ("history on", History("on")),
    ("history maybe later", History("maybe later")),
])
def test_history_text_becomes_a_typed_command(text: str, command: History) -> None:
    assert parse_command(text) == command


def test_the_channel_comes_with_the_command() -> None:
    assert parse_command("history", channel="C9") == History("", "C9")
    assert parse_command("lang ja", channel="C9") == SetLanguage("ja")


def _status(on: bool, lang: str = "en") -> str:
    return strings.t("cmd.history_on" if on else "cmd.history_off", lang,
                     turns_days="7", images_days="1")


async def test_history_is_on_by_default_and_says_what_is_kept(tmp_path) -> None:
    rig = make_rig(tmp_path)
    text = await rig.gateway.run_command(History(""), "U1")
    assert text == _status(True)
    assert "7 days" in text and "1 days" in text


async def test_off_then_on_is_stored_audited_and_told(tmp_path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.run_command(History("off"), "U1") == _status(False)
    assert not await rig.app.account.history_on("slack", "U1")
    assert await rig.gateway.run_command(History(""), "U1") == _status(False)
    assert await rig.app.account.history_on("slack", "U2")  # only the caller's choice
    assert await rig.gateway.run_command(History("on"), "U1") == _status(True)
    assert await rig.app.account.history_on("slack", "U1")
    records = [r for r in rig.audit_lines() if r["kind"] == "history"]
    assert [r["action"] for r in records] == ["off", "on"]
    assert all("U1" not in str(r) for r in records)  # pseudonymous


@pytest.mark.parametrize("bad", ["of", "yes", "off please", "オフ", "x" * 5000])
async def test_a_bad_argument_gets_the_usage_and_changes_nothing(tmp_path, bad: str) -> None:
    rig = make_rig(tmp_path, language="ja")
    assert await rig.gateway.run_command(History(bad), "U1") == strings.t(
        "cmd.history_usage", "ja")
    assert await rig.app.account.history_on("slack", "U1")
    assert [r for r in rig.audit_lines() if r["kind"] == "history"] == []


async def test_forget_keeps_the_off_choice(tmp_path) -> None:
    rig = make_rig(tmp_path)
    await rig.gateway.run_command(History("off"), "U1")
    await rig.app.memory.append(msg().thread_key, "U1", [Turn(role="user", text="old")])
    await rig.gateway.run_command(Forget(), "U1")
    assert (await rig.app.memory.load(msg().thread_key)).turns == ()
    assert not await rig.app.account.history_on("slack", "U1")


async def test_the_status_names_a_channel_whose_policy_keeps_nothing(tmp_path) -> None:
    rig = make_rig(tmp_path)
    off = ChannelPolicy(history=HistoryMode.OFF)
    rig.app.services.policy = PolicyConfig(channels={"CQUIET": off})
    text = await rig.gateway.run_command(History("", "CQUIET"), "U1")
    assert text == _status(True) + "\n" + strings.t("cmd.history_channel_off", "en")
    assert await rig.gateway.run_command(History("", "C1"), "U1") == _status(True)


async def test_keeps_history_needs_both_channel_and_user(tmp_path) -> None:
    rig = make_rig(tmp_path)
    rig.app.services.policy = PolicyConfig(
        channels={"CQUIET": ChannelPolicy(history=HistoryMode.OFF)})
    account = rig.app.account
    assert await account.keeps_history(msg(channel="C1"))
    assert not await account.keeps_history(msg(channel="CQUIET"))
    await account.set_history("slack", "U1", False)
    assert not await account.keeps_history(msg(channel="C1"))
    assert await account.keeps_history(msg(channel="C1", user="U2"))


async def test_a_store_that_is_down_answers_clearly_and_keeps_nothing(tmp_path) -> None:
    class Unreadable(BrokenState):
        async def get_pref(self, platform: str, user: str, name: str) -> str | None:
            from bot.errors import StoreUnavailable

            raise StoreUnavailable("get_pref")

    rig = make_rig(tmp_path, state=Unreadable())
    assert await rig.gateway.run_command(History("off"), "U1") == strings.t(
        "store.unavailable", "en")
    assert not await rig.app.account.keeps_history(msg())  # cannot tell: keep nothing
