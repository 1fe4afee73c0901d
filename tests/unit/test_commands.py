"""Commands as typed values (bot/core/commands.py) and ``Gateway.run_command``: the sentence
each command shows, its effect on the stores, and how failures read."""

from __future__ import annotations

import pytest

from bot import strings
from bot.core.access import Member
from bot.core.admin import Caller
from bot.core.commands import Forget, Help, Home, Receipts, SetLanguage, Unknown, parse_command
from bot.models import Image, Turn
from bot.ports import PlatformInfo
from tests.unit.gateway_fakes import BrokenState, make_rig, msg


@pytest.mark.parametrize(("text", "command"), [
    ("", Help()),
    ("  ", Help()),
    ("help", Help()),
    ("HELP me", Help()),
    ("forget", Forget()),
    ("lang ja", SetLanguage("ja")),
    ("lang EN", SetLanguage("en")),
    ("lang", SetLanguage("")),
    ("dance now", Unknown("dance now")),
    ("receipts", Receipts()),
    ("経費", Receipts()),
    ("settings", Home()),
    ("receipts now", Unknown("receipts now")),
])
def test_slash_text_becomes_a_typed_command(text: str, command: object) -> None:
    assert parse_command(text) == command


ALL_COMMANDS = ("/miru receipts", "/miru history", "/miru lang", "/miru forget",
                "/miru appeal", "/miru help")


async def test_help_lists_every_command_and_admin_only_for_admins(tmp_path) -> None:
    """Issue 22: help named four commands; receipts, appeal and history's on/off were missing."""
    rig = make_rig(tmp_path)
    text = await rig.gateway.run_command(Help(), "U1")
    assert text.startswith(strings.t("cmd.help", "en"))
    assert all(c in text for c in ALL_COMMANDS), text
    assert strings.t("help.ask_mention", "en") in text  # this platform has no /miru ask
    assert "/miru admin" not in text
    admin = Caller("slack", "T1", "C1", "U1", Member(admin=True))
    as_admin = await rig.gateway.run_command(Help(), "U1", caller=admin)
    assert "/miru admin" in as_admin and all(c in as_admin for c in ALL_COMMANDS)
    other = Caller("slack", "T1", "C1", "U2", Member(admin=True))  # not the caller: no admin
    assert "/miru admin" not in await rig.gateway.run_command(Help(), "U1", caller=other)


async def test_help_follows_what_the_platform_has(tmp_path) -> None:
    rig = make_rig(tmp_path)
    rig.platform.info = PlatformInfo("slack", "Slack", ask_command=True)
    text = await rig.gateway.run_command(Help(), "U1")
    assert strings.t("help.ask_command", "en") in text and "/miru settings" in text
    rig.platform.info = PlatformInfo("slack", "Slack", home_tab=True)
    text = await rig.gateway.run_command(Help(), "U1")
    assert strings.t("help.settings_home", "en") in text and "/miru settings" not in text


async def test_language_choice_is_audited(tmp_path) -> None:
    rig = make_rig(tmp_path)
    await rig.gateway.run_command(SetLanguage("ja"), "U1")
    (record,) = rig.audit_lines()
    assert record["kind"] == "language" and record["action"] == "ja"
    assert record["actor"] != "U1"  # pseudonymous, like every actor


async def test_forget_deletes_the_users_memory_and_audits(tmp_path) -> None:
    rig = make_rig(tmp_path)
    thread = msg().thread_key
    await rig.app.memory.append(thread, "U1", [Turn(role="user", text="hello")])
    await rig.app.memory.put_images(thread, "U1", [Image(
        index=0, data=b"x", mime="image/png", width=1, height=1, source_format="PNG",
        original_sha256="a" * 64, sha256="b" * 64)])
    text = await rig.gateway.run_command(Forget(), "U1")
    assert text == strings.t("cmd.forgot", "en", count=2)
    assert (await rig.app.memory.load(thread)).turns == ()
    (record,) = rig.audit_lines()
    assert record["kind"] == "forget" and record["detail"] == {"items": 2}


async def test_set_language_then_answers_in_it(tmp_path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.run_command(SetLanguage("ja"), "U1") == strings.t("cmd.lang_set",
                                                                               "ja")
    assert await rig.app.state.get_pref("slack", "U1", "lang") == "ja"
    assert (await rig.gateway.run_command(Help(), "U1")).startswith(strings.t("cmd.help", "ja"))
    assert (await rig.gateway.run_command(Help(), "U2")).startswith(strings.t("cmd.help", "en"))


@pytest.mark.parametrize("lang", ["", "fr", "japanese"])
async def test_unknown_language_shows_usage(tmp_path, lang: str) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.run_command(SetLanguage(lang), "U1") == strings.t(
        "cmd.lang_usage", "en")
    assert await rig.app.state.get_pref("slack", "U1", "lang") is None


async def test_unknown_command(tmp_path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.run_command(Unknown("dance"), "U1") == strings.t("cmd.unknown",
                                                                              "en")


async def test_unknown_command_in_japanese_is_answered_in_japanese(tmp_path) -> None:
    rig = make_rig(tmp_path, language="auto")
    assert await rig.gateway.run_command(Unknown("おどって"), "U1") == strings.t("cmd.unknown",
                                                                              "ja")


async def test_store_down_reads_as_a_sentence(tmp_path) -> None:
    rig = make_rig(tmp_path, state=BrokenState())
    assert await rig.gateway.run_command(SetLanguage("ja"), "U1") == strings.t(
        "store.unavailable", "en")


async def test_a_bug_goes_to_the_adapters_error_hook(tmp_path) -> None:
    """Only ``MiruError`` becomes a sentence here; anything else is the adapter's one hook's."""
    rig = make_rig(tmp_path)

    async def broken(*_a, **_k):
        raise KeyError("bug")

    rig.app.account.forget_user = broken  # type: ignore[method-assign]
    with pytest.raises(KeyError):
        await rig.gateway.run_command(Forget(), "U1")
