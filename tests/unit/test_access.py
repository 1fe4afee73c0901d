"""Team permissions: the policy file's ``[permissions.<id>]`` tables, level resolution (users,
Slack groups, Discord roles, channels, DMs, everyone, the ``/miru admin`` overlay over the file,
platform admins), ``/miru admin`` parsing with hostile input, and the gateway's refusal. The
overlay and caches live in a real Redis (``MIRU_TEST_REDIS_URL``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import keys, strings
from bot.core.access import NO_MEMBER, Access, Member, Subject, at_least, merge
from bot.core.admin import Caller
from bot.core.commands import MAX_ADMIN_TEXT, Admin, parse_command
from bot.core.gateway import DENIED
from bot.errors import StoreUnavailable
from bot.models import IncomingMessage
from config.errors import ConfigError
from config.policy import MAX_GRANTS, Level, PolicyConfig, load_policy
from tests.conftest import redis_client
from tests.fakes import FakeDirectory
from tests.unit.gateway_fakes import make_rig, msg

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

WS = "T1"
ALICE, BOB, CAROL = "UALICE1", "UBOB01", "UCAROL1"
DEVS, OPS = "SDEVS01", "SOPS001"
ROLE = "712345678901234567"


def policy(**table: Any) -> PolicyConfig:
    return PolicyConfig.model_validate({"permissions": {WS: table}})


def message(user: str = ALICE, *, channel: str = "C1", is_dm: bool = False,
            workspace: str = WS, platform: str = "slack") -> IncomingMessage:
    return IncomingMessage(platform=platform, workspace=workspace,  # type: ignore[arg-type]
                           channel=channel, thread="1.1", message_id="1.1", user=user,
                           text="hi", is_dm=is_dm)


@pytest.fixture
async def access_redis() -> AsyncIterator[Redis]:
    client = redis_client()
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


# --- the policy file ---------------------------------------------------------------------


def test_a_full_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f"""version = "1"
[permissions.{WS}]
channels = ["C1", "G2"]
everyone = "none"
direct_messages = false
[permissions.{WS}.edit]
users = ["{ALICE}"]
groups = ["{DEVS}"]
[permissions.{ROLE}.share]
roles = ["{ROLE}"]
[permissions.dm]
everyone = "view"
""", encoding="utf-8")
    loaded = load_policy(path)
    table = loaded.permissions[WS]
    assert table.channels == ("C1", "G2") and table.everyone_level is Level.NONE
    assert table.edit.users == (ALICE,) and not table.direct_messages
    assert loaded.permissions[ROLE].share.roles == (ROLE,)
    assert loaded.permissions["dm"].everyone == "view"
    assert PolicyConfig().permissions == {}


@pytest.mark.parametrize(("toml", "named"), [
    (f'[permissions.{WS}]\neveryone = "owner"', f"permissions.{WS}.everyone"),
    (f'[permissions.{WS}]\neveryone = "admin"', f"permissions.{WS}.everyone"),
    (f"[permissions.{WS}.viewer]\nusers = []", f"permissions.{WS}.viewer"),
    (f"[permissions.{WS}.moderator]\nusers = []", f"permissions.{WS}.moderator"),
    (f'[permissions.{WS}]\nchannel = ["C1"]', f"permissions.{WS}.channel"),
    (f'[permissions.{WS}.view]\nteams = ["x"]', f"permissions.{WS}.view.teams"),
    (f'[permissions.{WS}.view]\nusers = ["alice"]', f"permissions.{WS}.view"),
    (f'[permissions.{WS}.view]\ngroups = ["{ALICE}"]', f"permissions.{WS}.view"),
    (f'[permissions.{WS}.view]\nroles = ["{DEVS}"]', f"permissions.{WS}.view"),
    (f'[permissions.{WS}]\nchannels = ["#general"]', f"permissions.{WS}.channels"),
    ('[permissions."acme corp"]\neveryone = "view"', "acme corp"),
    (f"[permissions.{WS}]\ndirect_messages = 3", f"permissions.{WS}.direct_messages"),
])
def test_an_unknown_level_key_or_id_is_a_start_up_error_naming_it(
        tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('version = "1"\n' + toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert named in str(err.value)


def test_a_grant_list_has_a_limit() -> None:
    users = [f"U{n:06d}" for n in range(MAX_GRANTS + 1)]
    with pytest.raises(ValueError, match=r"permissions\.T1\.view\.users"):
        PolicyConfig.model_validate({"permissions": {WS: {"view": {"users": users}}}})
    PolicyConfig.model_validate({"permissions": {WS: {"view": {"users": users[:-1]}}}})


# --- merging the overlay over the file (pure) ---------------------------------------------


def test_no_table_and_no_overlay_is_everyone_share_everywhere() -> None:
    eff = merge(None, {})
    assert not eff.configured and eff.everyone is Level.SHARE and eff.channels == ()


def test_an_overlay_without_a_table_starts_from_share_not_view() -> None:
    eff = merge(None, {f"user:{ALICE}": "admin"})
    assert eff.configured and eff.everyone is Level.SHARE
    assert eff.grants[Subject("user", ALICE)] is Level.ADMIN


def test_the_overlay_beats_the_file_per_subject_and_channel() -> None:
    table = policy(channels=["C1", "C2"], everyone="view",
                   edit={"users": [ALICE, BOB]}, share={"groups": [DEVS]}).permissions[WS]
    eff = merge(table, {f"user:{ALICE}": "none", "everyone": "none", "channel:C2": "-",
                        "channel:C3": "+", f"role:{ROLE}": "edit"})
    assert eff.grants[Subject("user", ALICE)] is Level.NONE
    assert eff.grants[Subject("user", BOB)] is Level.EDIT  # untouched by the overlay
    assert eff.grants[Subject("group", DEVS)] is Level.SHARE
    assert eff.grants[Subject("role", ROLE)] is Level.EDIT
    assert eff.everyone is Level.NONE and eff.channels == ("C1", "C3")


def test_overlay_garbage_is_ignored_not_trusted() -> None:
    eff = merge(None, {"everyone": "root", f"user:{ALICE}": "owner", "bogus": "share",
                       "user:": "admin", "channel:": "+"})
    assert eff.everyone is Level.SHARE and eff.grants == {} and eff.channels == ()


def test_the_highest_file_grant_wins() -> None:
    table = policy(view={"users": [ALICE]}, share={"users": [ALICE]},
                   edit={"users": [ALICE]}).permissions[WS]
    assert merge(table, {}).grants[Subject("user", ALICE)] is Level.SHARE


@pytest.mark.parametrize(("value", "need", "ok"), [
    ("share", Level.EDIT, True), ("edit", Level.EDIT, True), ("view", Level.EDIT, False),
    ("admin", Level.SHARE, True), ("none", Level.VIEW, False), ("root", Level.VIEW, False),
    ("", Level.VIEW, False),
])
def test_at_least(value: str, need: Level, ok: bool) -> None:
    assert at_least(value, need) is ok


# --- resolution with Redis ------------------------------------------------------------------


async def test_levels_add_up_over_users_groups_roles_and_everyone(access_redis: Redis) -> None:
    pol = policy(everyone="none", view={"users": [ALICE]}, edit={"groups": [DEVS]},
                 share={"roles": [ROLE]}, admin={"users": [CAROL]})
    directory = FakeDirectory({DEVS: [ALICE, BOB]})
    access = Access(pol, access_redis, directory)
    assert (await access.decide(message(ALICE))).level is Level.EDIT  # group beats the user
    assert (await access.decide(message(BOB))).level is Level.EDIT
    assert (await access.decide(message("UNOBODY"))).refused == "level"
    assert (await access.decide(message("999999999999999999", platform="discord"),
                                Member((ROLE,)))).level is Level.SHARE
    assert (await access.decide(message(CAROL))).level is Level.ADMIN
    # one Web API call per group for the cache's life, however many messages
    assert directory.calls.count(f"group:{DEVS}") == 1
    assert await access_redis.ttl(keys.access_group("slack", WS, DEVS)) > 0


async def test_an_empty_group_is_cached_too(access_redis: Redis) -> None:
    directory = FakeDirectory({DEVS: []})
    access = Access(policy(everyone="none", edit={"groups": [DEVS]}), access_redis, directory)
    for _ in range(3):
        assert (await access.decide(message(ALICE))).refused == "level"
    assert directory.calls.count(f"group:{DEVS}") == 1


async def test_a_failing_directory_grants_nothing(access_redis: Redis) -> None:
    access = Access(policy(everyone="view", share={"groups": [DEVS]}), access_redis,
                    FakeDirectory({DEVS: [ALICE]}, admins=[ALICE], fail=True))
    assert (await access.decide(message(ALICE))).level is Level.VIEW
    assert not await access.is_admin("slack", WS, ALICE)


async def test_channels_and_direct_messages(access_redis: Redis) -> None:
    access = Access(policy(channels=["C1"], everyone="share", direct_messages=False),
                    access_redis)
    assert (await access.decide(message(channel="C1"))).refused == ""
    assert (await access.decide(message(channel="C9"))).refused == "channel"
    assert (await access.decide(message(channel="D1", is_dm=True))).refused == "channel"
    open_dms = Access(policy(channels=["C1"]), access_redis)
    assert (await open_dms.decide(message(channel="D1", is_dm=True))).refused == ""


async def test_no_table_changes_nothing(access_redis: Redis) -> None:
    directory = FakeDirectory()
    access = Access(PolicyConfig(), access_redis, directory)
    decision = await access.decide(message(channel="C9"))
    assert decision.level is Level.SHARE and not decision.refused and directory.calls == []


async def test_the_overlay_beats_the_file(access_redis: Redis) -> None:
    access = Access(policy(everyone="view", share={"users": [ALICE]}), access_redis)
    assert await access.change("slack", WS, f"user:{ALICE}", "view") == (True, "")
    assert await access.change("slack", WS, "everyone", "none") == (True, "")
    assert await access.change("slack", WS, f"user:{BOB}", "edit") == (True, "")
    assert (await access.decide(message(ALICE))).level is Level.VIEW
    assert (await access.decide(message(BOB))).level is Level.EDIT
    assert (await access.decide(message(CAROL))).refused == "level"
    # another workspace (and another platform with the same id) is untouched
    assert (await access.decide(message(CAROL, workspace="T2"))).level is Level.SHARE
    assert (await access.decide(message(CAROL, platform="discord"))).level is Level.VIEW


async def test_platform_admins_count_as_admin_and_are_cached(access_redis: Redis) -> None:
    directory = FakeDirectory(admins=[BOB])
    access = Access(policy(everyone="none"), access_redis, directory)
    assert (await access.decide(message(BOB))).level is Level.ADMIN
    assert (await access.decide(message(BOB))).level is Level.ADMIN
    assert directory.calls.count(f"admin:{BOB}") == 1
    assert await access.is_admin("slack", WS, BOB)
    assert not await access.is_admin("slack", WS, ALICE)
    # Discord: the event says it; the directory is not asked
    assert await access.is_admin("discord", WS, "1" * 18, Member(admin=True))
    assert not await access.is_admin("discord", WS, "1" * 18, Member(admin=False))


async def test_the_overlay_is_bounded(access_redis: Redis, monkeypatch) -> None:
    monkeypatch.setattr(keys, "ACCESS_OVERLAY_MAX_FIELDS", 2)
    access = Access(PolicyConfig(), access_redis)
    assert (await access.change("slack", WS, "user:U000001", "view"))[0]
    assert (await access.change("slack", WS, "user:U000002", "view"))[0]
    assert await access.change("slack", WS, "user:U000003", "view") == (False, "")
    assert await access.change("slack", WS, "user:U000002", "edit") == (True, "view")
    assert await access_redis.hlen(keys.access_overlay("slack", WS)) == 2


async def test_a_redis_that_is_down_raises_store_unavailable() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        with pytest.raises(StoreUnavailable):
            await Access(policy(), dead).decide(message())
    finally:
        await dead.aclose()


# --- /miru admin parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "parsed"), [
    ("admin", Admin("show")),
    ("admin show", Admin("show")),
    (f"admin grant <@{ALICE}|alice> edit", Admin("grant", f"user:{ALICE}", "edit")),
    (f"admin grant <!subteam^{DEVS}|@devs> share", Admin("grant", f"group:{DEVS}", "share")),
    (f"admin grant <@&{ROLE}> view", Admin("grant", f"role:{ROLE}", "view")),
    (f"admin grant <@!{ROLE}> admin", Admin("grant", f"user:{ROLE}", "admin")),
    (f"ADMIN Grant user:{ALICE} EDIT", Admin("grant", f"user:{ALICE}", "edit")),
    (f"admin grant {DEVS} none", Admin("grant", f"group:{DEVS}", "none")),
    (f"admin revoke <@{BOB}>", Admin("revoke", f"user:{BOB}")),
    ("admin channels add <#C0GEN|general>", Admin("channel_add", channel="C0GEN")),
    (f"admin channels remove <#{ROLE}>", Admin("channel_remove", channel=ROLE)),
    ("admin everyone none", Admin("everyone", level="none")),
])
def test_admin_commands_parse(text: str, parsed: Admin) -> None:
    assert parse_command(text) == parsed


@pytest.mark.parametrize("text", [
    "admin everyone admin",  # everyone cannot be admin
    "admin grant @alice edit",  # an unescaped name: no id to store
    f"admin grant <@{ALICE}> owner",
    f"admin grant <@{ALICE}> edit now",
    "admin grant role:abc view",
    "admin grant group:UALICE1 view",
    "admin grant <@U1> view",  # too short to be an id
    "admin grant <@UALICE1 edit",
    "admin grant <@&> view",
    "admin revoke",
    "admin channels add #general",
    "admin channels add <#C1\u202e>",
    "admin channels delete C123",
    "admin grant user:UALICE1\u0000 view",
    "admin grant <@U" + "A" * 500 + "> view",
    "admin " + "grant " * 100,
    "admin drop table",
])
def test_hostile_admin_input_is_usage(text: str) -> None:
    assert parse_command(text) == Admin("usage")


def test_long_admin_input_is_bounded() -> None:
    padded = "admin grant" + " " * MAX_ADMIN_TEXT + f"<@{ALICE}> edit"
    assert parse_command(padded) == Admin("usage")


# --- the gateway -------------------------------------------------------------------------------


async def test_a_refused_message_is_told_privately_audited_and_not_queued(
        tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    told: list[tuple[str, str]] = []

    async def notify(m: IncomingMessage, text: str) -> None:
        told.append((m.user, text))

    rig.gateway.access = Access(PolicyConfig.model_validate(
        {"permissions": {"T1": {"everyone": "none", "view": {"users": [BOB]},
                                "channels": ["C1"]}}}), None)
    rig.gateway.notify = notify
    assert await rig.gateway.on_message(msg(user=ALICE)) == DENIED
    assert await rig.gateway.on_message(msg("100.2", user=BOB, channel="C9")) == DENIED
    assert rig.queue.jobs == [] and rig.platform.replies == []
    assert told == [(ALICE, strings.t("access.denied_level", "en")),
                    (BOB, strings.t("access.denied_channel", "en"))]
    records = [r for r in rig.audit_lines() if r["kind"] == "permission_denied"]
    assert [r["detail"]["reason"] for r in records] == ["level", "channel"]
    assert ALICE not in json.dumps(records)  # actors are pseudonyms
    assert await rig.gateway.on_message(msg("100.3", user=BOB)) == "accepted"
    (job,) = rig.queue.jobs
    assert job.access == "view"


async def test_without_access_everyone_is_share(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    assert await rig.gateway.on_message(msg()) == "accepted"
    assert rig.queue.jobs[0].access == "share"


async def test_admin_changes_are_audited_and_non_admins_refused(
        tmp_path: Path, access_redis: Redis) -> None:
    rig = make_rig(tmp_path)
    rig.gateway.access = Access(PolicyConfig.model_validate(
        {"permissions": {"T1": {"admin": {"users": [ALICE]}}}}), access_redis)

    async def run(text: str, user: str) -> str:
        return await rig.gateway.run_command(parse_command(text), user,
                                             caller=Caller("slack", "T1", "C1", user))

    assert await run(f"admin grant <@{BOB}> edit", CAROL) == strings.t("admin.not_admin", "en")
    assert await access_redis.exists(keys.access_overlay("slack", "T1")) == 0
    assert await run("admin grant nobody edit", ALICE) == strings.t("admin.usage", "en")
    text = await run(f"admin grant <@{BOB}|bob> edit", ALICE)
    assert text == strings.t("admin.granted", "en", who=f"<@{BOB}>", level="edit", old="none")
    assert await run("admin everyone none", ALICE)
    assert "<#C1>" in await run("admin channels add <#C1|general>", ALICE)
    shown = await run("admin", ALICE)
    assert f"edit: <@{BOB}>" in shown and f"admin: <@{ALICE}>" in shown and "<#C1>" in shown
    assert (await rig.gateway.access.decide(msg(user=BOB))).level is Level.EDIT
    lines = rig.audit_lines()
    denied = [r for r in lines if r["kind"] == "permission_denied"]
    changes = [r["detail"] for r in lines if r["kind"] == "permission_change"]
    assert [d["detail"]["command"] for d in denied] == ["admin"]
    assert [(c["op"], c["old"], c["new"]) for c in changes] == [
        ("grant", "none", "edit"), ("everyone", "view", "none"),
        ("channel_add", [], ["C1"])]
    assert BOB not in json.dumps(changes)  # the subject is a pseudonym too
    # a DM has no workspace to change
    assert await rig.gateway.run_command(parse_command("admin"), ALICE) == strings.t(
        "admin.no_workspace", "en")


async def test_admin_show_is_bounded(tmp_path: Path, access_redis: Redis) -> None:
    users = [f"U{n:06d}" for n in range(45)]
    rig = make_rig(tmp_path)
    rig.gateway.access = Access(PolicyConfig.model_validate(
        {"permissions": {"T1": {"view": {"users": users}, "admin": {"users": [ALICE]}}}}),
        access_redis)
    shown = await rig.gateway.run_command(parse_command("admin"), ALICE,
                                          caller=Caller("slack", "T1", "C1", ALICE))
    assert shown.count("<@U0000") == 20 and strings.t("admin.more", "en", count=25) in shown


def test_a_stamped_level_survives_the_job_codec() -> None:
    from bot.stores.codec import dump_message, load_message

    stamped = msg().__class__(**{**msg().__dict__, "access": "edit"})
    assert load_message(dump_message(stamped)).access == "edit"
    old_job = json.loads(dump_message(msg()))
    del old_job["access"]
    assert load_message(json.dumps(old_job)).access == "share"


def test_no_member_is_empty() -> None:
    assert NO_MEMBER.roles == () and NO_MEMBER.admin is None
