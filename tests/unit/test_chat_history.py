"""``miru chat``'s ``/history``: the newest turns only, each on one line and cut to a width."""

from __future__ import annotations

from bot.cli.chat import HISTORY_TURNS, history_lines
from bot.models import Turn
from bot.stores.base import ThreadState


def test_an_empty_thread_says_so() -> None:
    assert history_lines(ThreadState()) == ["(this thread remembers nothing yet)"]


def test_turns_are_shown_newest_last_with_their_images() -> None:
    state = ThreadState((Turn("user", "what does\nit say?", ("a" * 64,)),
                         Turn("assistant", "NO PARKING")), ("a" * 64,))
    assert history_lines(state) == ["you> what does it say? [+1 image(s)]", "miru> NO PARKING",
                                    "(1 image(s) kept for follow-ups)"]


def test_a_long_thread_and_a_long_turn_are_cut() -> None:
    turns = tuple(Turn("user", f"question {n} " + "x" * 5000) for n in range(HISTORY_TURNS + 7))
    lines = history_lines(ThreadState(turns), width=50)
    assert lines[0] == "(7 earlier turn(s) not shown)"
    assert lines[1].startswith("you> question 7 ")
    assert len(lines) == HISTORY_TURNS + 2
    assert all(len(line) <= len("you> ") + 50 for line in lines[1:-1])
    assert lines[1].endswith("…")
