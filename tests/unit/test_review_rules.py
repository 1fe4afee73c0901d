"""The moderators table's validation, who counts as a moderator (users, Slack groups, Discord
roles), and the appeal command's parsing. (The desk on real Redis and both platforms:
tests/platform/test_slack_review.py, test_discord_review.py.)"""

from __future__ import annotations

import pytest

from bot.core.commands import Appeal, parse_command
from bot.review.desk import Presser, ReviewDesk
from config.policy import PolicyConfig

MODS = {"T01": {"channel": "CMODS", "users": ["UALICE01"], "groups": ["SMODS01"]},
        "700000000000000001": {"channel": "700000000000000013",
                               "roles": ["700000000000000999"]}}


def _desk() -> ReviewDesk:
    async def submit(_msg):
        return None

    return ReviewDesk(None, PolicyConfig.model_validate({"moderators": MODS}),  # type: ignore[arg-type]
                      submit)


@pytest.mark.parametrize(("table", "error"), [
    ({"channel": "C1"}, "nobody could act"),
    ({"channel": "C1", "users": ["bob"]}, "neither a Slack user id"),
    ({"channel": "C1", "groups": ["U123"]}, "not a Slack user group id"),
    ({"channel": "C1", "roles": ["moderators"]}, "not a Discord role id"),
    ({"channel": "", "users": ["U123"]}, "at least 1 character"),
    ({"users": ["U123"]}, "channel"),
])
def test_bad_moderator_tables_are_refused(table, error):
    with pytest.raises(ValueError, match=error):
        PolicyConfig.model_validate({"moderators": {"T1": table}})


async def test_users_groups_and_roles_count_nobody_else():
    desk = _desk()

    async def member(group: str) -> bool:
        return group == "SMODS01"

    async def not_member(group: str) -> bool:
        return False

    async def broken(group: str) -> bool:
        raise TimeoutError

    assert await desk.is_moderator(Presser("slack", "T01", "UALICE01"))
    assert await desk.is_moderator(Presser("slack", "T01", "UBOB0001"), member)
    assert not await desk.is_moderator(Presser("slack", "T01", "UBOB0001"), not_member)
    assert not await desk.is_moderator(Presser("slack", "T01", "UBOB0001"), broken)
    assert not await desk.is_moderator(Presser("slack", "T02", "UALICE01"))  # other workspace
    guild = "700000000000000001"
    assert await desk.is_moderator(Presser("discord", guild, "42", ("700000000000000999",)))
    assert not await desk.is_moderator(Presser("discord", guild, "42", ("1",)))


@pytest.mark.parametrize(("text", "command"), [
    ("appeal c0123456789", Appeal("c0123456789")),
    ("appeal", Appeal("")),
    ("appeal a b", Appeal("")),
    ("APPEAL " + "x" * 500, Appeal("x" * 64)),
])
def test_appeal_parses(text, command):
    assert parse_command(text) == command


def _case(action: str, *, hash_match: bool = False):
    from bot.review.model import Case

    return Case(id="c0123456789", action=action, reasons=("r",), scores={}, created=0.0,
                platform="slack", workspace="T01", channel="C1", thread="1.2",
                message_id="1.2", user="U1", hash_match=hash_match)


@pytest.mark.parametrize("decision", ["reject", "escalate", "approve"])
@pytest.mark.parametrize(("action", "hash_match"), [("block_and_preserve", False),
                                                    ("hold", True)])
def test_a_preserved_case_tells_its_uploader_nothing(decision, action, hash_match):
    """Nothing warns the uploader of preserved material (docs/reporting.md): no text, no case
    id, whatever the decision; Discord still deletes a rejected upload where it may."""
    from bot.ports import PlatformInfo
    from bot.review.desk import outcome_notice
    from bot.review.model import Decision

    for info in (PlatformInfo("discord"), PlatformInfo("slack", deletes_uploads=False)):
        text, delete = outcome_notice(_case(action, hash_match=hash_match), Decision(decision),
                                      info)
        assert text == ""
        assert delete is (decision == "reject" and info.deletes_uploads)


def test_an_escalated_hold_case_is_a_plain_refusal_without_its_id():
    from bot.ports import PlatformInfo
    from bot.review.desk import outcome_notice
    from bot.review.model import Decision

    text, delete = outcome_notice(_case("hold"), Decision.ESCALATE, PlatformInfo("slack"))
    assert text == "A moderator decided that your image can't be processed." and not delete
    text, _ = outcome_notice(_case("hold"), Decision.REJECT, PlatformInfo("discord"))
    assert "c0123456789" in text and "appeal" in text  # a hold case's uploader may appeal
