"""History off on the one path, on real Redis: from the policy (a channel, or ``[defaults]``)
and from a user's choice. A scan of the test DB shows that no turn, image, participant list,
user index or "active thread" flag was written, while the audit log still has every decision;
the same run with history on writes them (so the scan can fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import keys, strings
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ReplyKind
from config.errors import ConfigError
from config.policy import load_policy
from tests.conftest import flush_redis, sync_redis_client

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

KEPT = (b"miru:thread:*", b"miru:active:*", b"miru:user:*:keys")


@pytest.fixture
def rdb():
    flush_redis()
    client = sync_redis_client()
    yield client
    flush_redis()
    client.close()


def _kept(rdb) -> list[bytes]:
    """Every key that holds conversation data (turns, images, participants, user index, flag)."""
    return sorted(k for pattern in KEPT for k in rdb.scan_iter(match=pattern))


def _conv(tmp_path: Path, image: bytes | None, text: str, *, user: str = "cli-user"):
    paths = []
    if image is not None:
        path = tmp_path / "coffee.jpg"
        path.write_bytes(image)
        paths.append(path)
    from dataclasses import replace

    return LocalConversation(replace(cli_message(paths, text, thread="t1"), user=user))


async def _two_turns(app, tmp_path: Path, coffee: bytes, *, user: str = "cli-user"):
    first = await app.pipeline.handle(_conv(tmp_path, coffee, "what is it?", user=user))
    second = await app.pipeline.handle(_conv(tmp_path, None, "and the colour?", user=user))
    return first, second


def _kinds(settings) -> list[str]:
    return [json.loads(line)["kind"] for line in settings.audit_path.read_text().splitlines()]


@pytest.mark.parametrize("policy", [
    '[defaults]\nconsent = "off"\nhistory = "off"\n',
    '[defaults]\nconsent = "off"\n[channels.cli]\nhistory = "off"\n',
])
async def test_policy_history_off_keeps_nothing_and_audits_everything(
        make_settings, counting_engine, coffee_jpeg, tmp_path, rdb, policy) -> None:
    settings = make_settings(policy)
    app = build_app(settings, engine=counting_engine)
    try:
        first, second = await _two_turns(app, tmp_path, coffee_jpeg)
    finally:
        await app.close()
    assert first.reply.kind is ReplyKind.ANSWER
    assert strings.t("history.off_note", "en") in first.reply.text
    assert second.reply.kind is ReplyKind.INFO
    assert second.reply.text == strings.t("history.off_no_image", "en")
    assert len(counting_engine.requests) == 1 and counting_engine.requests[0].history == ()
    assert _kept(rdb) == []
    assert _kinds(settings) == ["verdict", "answer"]


async def test_history_on_keeps_the_thread_so_the_scan_can_fail(
        make_settings, counting_engine, coffee_jpeg, tmp_path, rdb) -> None:
    app = build_app(make_settings('[defaults]\nconsent = "off"\n'), engine=counting_engine)
    try:
        first, second = await _two_turns(app, tmp_path, coffee_jpeg)
    finally:
        await app.close()
    assert second.reply.kind is ReplyKind.ANSWER
    assert strings.t("history.off_note", "en") not in first.reply.text
    kept = b" ".join(_kept(rdb))
    assert b":turns" in kept and b":img:" in kept and b"miru:active:" in kept


async def test_a_users_choice_keeps_nothing_of_theirs_but_others_are_kept(
        make_settings, counting_engine, coffee_jpeg, tmp_path, rdb) -> None:
    settings = make_settings('[defaults]\nconsent = "off"\n')
    app = build_app(settings, engine=counting_engine)
    try:
        await app.account.set_history("cli", "cli-user", False)
        _, second = await _two_turns(app, tmp_path, coffee_jpeg)
        assert _kept(rdb) == [b"miru:user:{cli:cli-user}:keys"]  # the choice itself, only:
        assert rdb.smembers(keys.user_index("cli", "cli-user")) == {
            keys.user_pref("cli", "cli-user").encode()}
        assert second.reply.text == strings.t("history.off_no_image", "en")
        (tmp_path / "other").mkdir()
        await _two_turns(app, tmp_path / "other", coffee_jpeg, user="bob")
    finally:
        await app.close()
    kept = _kept(rdb)
    assert any(b":turns" in k for k in kept)
    assert [k for k in kept if b"cli-user" in k] == [b"miru:user:{cli:cli-user}:keys"]
    assert "history" in _kinds(settings) and _kinds(settings).count("verdict") == 3


@pytest.mark.parametrize("value", ['"of"', "false", "0", '""'])
def test_a_bad_history_value_in_the_policy_stops_start_up(tmp_path, value: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f"[defaults]\nhistory = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"defaults\.history"):
        load_policy(path)
    path.write_text(f"[channels.C1]\nhistory = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"channels\.C1\.history"):
        load_policy(path)


def test_the_documented_default_keeps_history(tmp_path) -> None:
    policy = load_policy(Path("config/policy.toml"))
    assert policy.defaults.history == "on"
    path = tmp_path / "policy.toml"
    path.write_text('[defaults]\nhistory = "off"\n[channels.C1]\naudience = "adult"\n')
    assert load_policy(path).channel("C1").history == "off"  # inherits [defaults]
