"""``[receipts]`` in the policy file and the ``approve`` level: defaults, what is refused at
start-up, and where the new level sits on the ladder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.core.access import at_least, file_grants, merge
from bot.core.commands import Admin, parse_admin
from config.policy import Level, Permissions, PolicyConfig


def test_defaults() -> None:
    r = PolicyConfig().receipts
    assert r.approvals and r.timezone == "UTC" and r.export_statuses == ("approved", "pending")
    assert r.account("lodging") == "旅費交通費" and r.account(None) == "雑費"
    assert r.freee.encoding == "cp932" and r.moneyforward.credit_account == "未払金"


def test_partial_tables_keep_the_other_defaults() -> None:
    r = PolicyConfig.model_validate({"receipts": {
        "accounts": {"lodging": "宿泊費"}, "freee": {"tax": {"10": "課税仕入10%"}},
        "timezone": "Asia/Tokyo"}}).receipts
    assert r.account("lodging") == "宿泊費" and r.account("transport") == "旅費交通費"
    assert r.freee.tax["10"] == "課税仕入10%" and r.freee.tax["8"] == "課対仕入8%（軽）"
    assert datetime(2026, 11, 30, 16, tzinfo=UTC).astimezone(r.tz()).day == 1  # JST: Dec 1


@pytest.mark.parametrize("receipts", [
    {"accounts": {"food": "会議費"}},  # no such category
    {"accounts": {"misc": "雑費,x"}},  # a comma would break the CSV's columns
    {"accounts": {"misc": ""}},
    {"timezone": "Mars/Olympus"},
    {"export_statuses": []},
    {"export_statuses": ["rejected"]},
    {"freee": {"encoding": "latin-1"}},
    {"moneyforward": {"tax": {"11": "x"}}},
    {"approvers": ["U1"]},  # unknown keys stop start-up too
])
def test_mistakes_stop_start_up(receipts: dict) -> None:
    with pytest.raises(ValidationError):
        PolicyConfig.model_validate({"receipts": receipts})


def test_approve_sits_between_share_and_admin() -> None:
    assert Level.SHARE.rank < Level.APPROVE.rank < Level.ADMIN.rank
    assert at_least("approve", Level.SHARE) and at_least("admin", Level.APPROVE)
    assert not at_least("share", Level.APPROVE)


def test_approvers_in_the_file_and_by_admin_command() -> None:
    table = Permissions.model_validate({"approve": {"users": ["U0123APPROVER"]}})
    grants = file_grants(table)
    assert [lv for s, lv in grants.items() if s.id == "U0123APPROVER"] == [Level.APPROVE]
    assert merge(None, {"user:U0BOB": "approve"}).grants
    assert parse_admin("grant <@U0BOB> approve") == Admin("grant", subject="user:U0BOB",
                                                          level="approve")
    with pytest.raises(ValidationError):  # everyone is never an approver
        Permissions.model_validate({"everyone": "approve"})
