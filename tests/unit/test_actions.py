"""Buttons under replies: what a value carries, what a forged one cannot do, the reason form."""

from __future__ import annotations

import pytest

from bot.core.actions import MAX_VALUE, Press, button, form, refusal, unpack
from config.policy import Level


def test_a_button_round_trips() -> None:
    b = button("Reject", "reject #3", Level.APPROVE, ask=True, style="danger")
    assert (b.label, b.style) == ("Reject", "danger") and len(b.value) <= MAX_VALUE
    assert unpack(b.value) == Press("reject #3", Level.APPROVE, True)
    assert unpack(button("Approve", "approve #3", Level.APPROVE).value) == Press(
        "approve #3", Level.APPROVE, False)


@pytest.mark.parametrize("value", ["", "approve #2", "a1|root|0|approve #2", "a2|approve|0|x",
                                   "a1|approve|2|approve #2", "a1|approve|0|   ",
                                   "a1|approve|0|" + "x" * 200])
def test_a_forged_or_broken_value_is_nothing(value: str) -> None:
    assert unpack(value) is None


def test_a_value_that_does_not_fit_is_refused_when_made() -> None:
    with pytest.raises(ValueError):
        button("x", "approve " + "#1" * 50, Level.APPROVE)


def test_the_reason_is_one_bounded_line() -> None:
    press = Press("reject #3", Level.APPROVE, True)
    assert press.typed("  no\nreceipt   number ") == "reject #3: no receipt number"
    assert len(press.typed("x" * 1000)) == len("reject #3: ") + 200
    assert press.typed("") == "reject #3"


def test_the_form_and_the_refusals_in_both_languages() -> None:
    press = Press("reject #12", Level.APPROVE, True)
    assert form(press, "en").title == "Reject receipt #12"
    assert form(press, "ja").title == "レシート #12 を却下"
    assert "/miru admin grant @someone approve" in refusal(Level.APPROVE, "share", "en")
    assert "share" in refusal(Level.SHARE, "edit", "ja")
