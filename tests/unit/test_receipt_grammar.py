"""What people type in an expense thread, both ways: a correction stays a correction, a question
is a question (never "that is no correction"), approvals, reports and exports are commands, in
Japanese and English; hostile input is bounded and never raises."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.receipts.commands import Decide, Export, Report
from bot.receipts.corrections import ParseError, Remove, SetField, ShowSummary, Undo
from bot.receipts.grammar import Unknown, understand
from bot.receipts.queries import (
    CountQuery,
    FieldQuery,
    ListQuery,
    MissingQuery,
    SumQuery,
    TopQuery,
    UnknownQuestion,
)
from bot.receipts.scope import ME, Scope, read_scope

TODAY = date(2026, 12, 3)
ALICE = "U0ALICE01"


def u(text: str, asker: str = "UASKER") -> object:
    return understand(text, today=TODAY, asker=asker)


@pytest.mark.parametrize(("text", "expected"), [
    ("what was #1's total?", FieldQuery(1, "total")),
    ("What's the date of #2?", FieldQuery(2, "date")),
    ("#1 total?", FieldQuery(1, "total")),
    ("#3?", FieldQuery(3, None)),
    ("#2の日付は?", FieldQuery(2, "date")),
    ("2番の合計はいくら？", FieldQuery(2, "total")),
    ("#4の登録番号は?", FieldQuery(4, "invoice_number")),
    ("how much for lodging?", SumQuery(Scope(category="lodging"))),
    ("how much did we spend on hotels?", SumQuery(Scope(category="lodging"))),
    ("今月の交通費は?", SumQuery(Scope(month=(2026, 12), category="transport"))),
    ("先月の宿泊費はいくら?", SumQuery(Scope(month=(2026, 11), category="lodging"))),
    ("11月の合計は？", SumQuery(Scope(month=(2026, 11)))),
    ("2025年12月の合計は?", SumQuery(Scope(month=(2025, 12)))),
    ("total in USD?", SumQuery(Scope(currency="USD"))),
    ("what's the total?", SumQuery(Scope())),
    ("合計は?", SumQuery(Scope())),
    (f"how much did <@{ALICE}> spend in November?",
     SumQuery(Scope(month=(2026, 11), person=ALICE))),
    ("how much did @alice spend?", SumQuery(Scope(person_name="alice"))),
    ("what did I spend this month?", SumQuery(Scope(month=(2026, 12), person="UASKER"))),
    ("私の今月の合計は?", SumQuery(Scope(month=(2026, 12), person="UASKER"))),
    ("誰が一番使った?", TopQuery(Scope())),
    ("一番使ったのは誰?", TopQuery(Scope())),
    ("who spent the most this month?", TopQuery(Scope(month=(2026, 12)))),
    ("which receipts have no registration number?", MissingQuery("invoice_number", Scope())),
    ("登録番号がないレシートは?", MissingQuery("invoice_number", Scope())),
    ("which receipts are missing a date?", MissingQuery("date", Scope())),
    ("how many receipts?", CountQuery(Scope())),
    ("how many are pending?", CountQuery(Scope(status="pending"))),
    ("未承認は何件?", CountQuery(Scope(status="pending"))),
    ("何件?", CountQuery(Scope())),
    ("which were rejected?", ListQuery(Scope(status="rejected"))),
    ("却下されたのはどれ?", ListQuery(Scope(status="rejected"))),
    # no question mark, nothing but a scope: still a question, not "no correction"
    ("今月の交通費", SumQuery(Scope(month=(2026, 12), category="transport"))),
])
def test_questions_are_questions(text: str, expected: object) -> None:
    assert u(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("total 1280", SetField("total", Decimal("1280"))),
    ("#1 total 1300", SetField("total", Decimal("1300"), n=1)),
    ("合計は1,280円です", SetField("total", Decimal("1280"), currency="JPY")),
    ("#2 category 交通費", SetField("category", "transport", n=2)),
    ("2番の科目 交際費", SetField("category", "entertainment", n=2)),
    ("date 2026-11-20", SetField("date", date(2026, 11, 20))),
    ("merchant Export Store", SetField("merchant", "Export Store")),
    ("店名 画像屋", SetField("merchant", "画像屋")),
    ("remove 3", Remove(3)),
    ("undo", Undo()),
    ("summary", ShowSummary()),
    ("集計", ShowSummary()),
])
def test_corrections_stay_corrections(text: str, expected: object) -> None:
    assert u(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("approve #2", Decide(2, "approved")),
    ("Approve 2", Decide(2, "approved")),
    ("#2 approve", Decide(2, "approved")),
    ("承認 #2", Decide(2, "approved")),
    ("2番を承認", Decide(2, "approved")),
    ("#2 approve: checked with the hotel", Decide(2, "approved", "checked with the hotel")),
    ("#3 reject: no receipt number", Decide(3, "rejected", "no receipt number")),
    ("reject #3 because it is personal", Decide(3, "rejected", "it is personal")),
    ("#3 却下 理由: 領収書なし", Decide(3, "rejected", "領収書なし")),
    ("却下 #3 私用のため", Decide(3, "rejected", "私用のため")),
    ("report", Report(Scope())),
    ("レポート", Report(Scope())),
    ("今月のレポート", Report(Scope(month=(2026, 12)))),
    ("report for @alice", Report(Scope(person_name="alice"))),
    (f"report for <@{ALICE}>", Report(Scope(person=ALICE))),
    ("レポート 2026-11", Report(Scope(month=(2026, 11)))),
    ("export", Export("csv", Scope())),
    ("csv", Export("csv", Scope())),
    ("エクスポート", Export("csv", Scope())),
    ("export freee", Export("freee", Scope())),
    ("freee", Export("freee", Scope())),
    ("今月のfreee", Export("freee", Scope(month=(2026, 12)))),
    ("export mf", Export("mf", Scope())),
    ("マネーフォワード", Export("mf", Scope())),
    ("export images", Export("zip", Scope())),
    ("画像", Export("zip", Scope())),
])
def test_commands(text: str, expected: object) -> None:
    assert u(text) == expected


@pytest.mark.parametrize(("text", "key"), [
    ("#3 reject", "expense.reason_needed"),
    ("#3 却下", "expense.reason_needed"),
    ("reject #99999", "receipts.bad_number"),
    ("#3 reject: " + "x" * 201, "expense.reason_too_long"),
    ("total -5", "receipts.negative_amount"),  # a malformed correction keeps its reason
])
def test_malformed_commands_say_why(text: str, key: str) -> None:
    assert u(text) == ParseError(key)


@pytest.mark.parametrize("text", ["hello", "thanks!", "ok", "lgtm"])
def test_neither_a_command_nor_a_question(text: str) -> None:
    assert u(text) == Unknown()


@pytest.mark.parametrize("text", ["what is the meaning of life?", "merchant is what?",
                                  "なぜ?", "why?"])
def test_a_question_it_cannot_place_is_still_a_question(text: str) -> None:
    assert u(text) == UnknownQuestion()


def test_a_question_about_the_newest_is_not_a_correction_to_a_question_mark() -> None:
    # before questions existed, "total?" read as the correction "total ?" (a bad amount)
    assert u("total?") == SumQuery(Scope())
    assert u("合計は？") == SumQuery(Scope())


def test_scope_words_and_months() -> None:
    assert read_scope("in may", today=TODAY)[0] == Scope(month=(2026, 5))
    assert read_scope("may I see it", today=TODAY)[0].month is None  # "may" the verb
    assert read_scope("12月", today=date(2026, 11, 3))[0].month == (2025, 12)  # latest one
    assert read_scope("November 2024", today=TODAY)[0].month == (2024, 11)
    assert read_scope("2026-11-20", today=TODAY)[0].month is None  # a date, not a month
    assert read_scope("my receipts", today=TODAY)[0].person == ME  # asker filled in later
    assert read_scope("unapproved", today=TODAY)[0].status == "pending"


@pytest.mark.parametrize("text", ["\u202eapprove #2", "ａｐｐｒｏｖｅ　＃２", "承認\u200b #2"])
def test_disguised_text_is_read_as_written(text: str) -> None:
    # full-width forms are what Japanese keyboards type; invisible characters are dropped
    assert u(text) == Decide(2, "approved")


def test_huge_input_is_bounded() -> None:
    assert isinstance(u("how much " * 1000 + "?"), UnknownQuestion)
    assert u("x" * 100_000) == ParseError("receipts.too_long")
    assert u("#2 blah blah") == Unknown()  # a number alone does not make a question


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_understand_never_raises(text: str) -> None:
    understand(text, today=TODAY, asker="U1")
