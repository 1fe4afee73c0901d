"""How far a page is turned, from the detector's boxes and the line classifier's votes
(``bot.vision.page_turn``): no model here, the boxes and votes are built directly."""

from __future__ import annotations

from bot.vision.page_turn import page_turn, sideways, upside_down

WIDE = (0.0, 0.0, 200.0, 20.0)  # a line across the page
TALL = (0.0, 0.0, 20.0, 200.0)  # a line up or down the page
UP, DOWN = ("0", 0.99), ("180", 0.99)


def test_an_upright_page_stays() -> None:
    assert page_turn([WIDE] * 5, [UP] * 5) == 0


def test_a_page_upside_down_turns_half_way() -> None:
    assert page_turn([WIDE] * 5, [DOWN] * 5) == 180


def test_on_its_side_the_votes_tell_which_way() -> None:
    # rapidocr turns a tall line's cut a quarter counter-clockwise: upright in the cut means
    # the line ran down the page (turn 90 counter-clockwise), upside down that it ran up (270)
    assert page_turn([TALL] * 5, [UP] * 5) == 90
    assert page_turn([TALL] * 5, [DOWN] * 5) == 270


def test_most_of_the_text_by_length_decides() -> None:
    long_line, short = (0.0, 0.0, 600.0, 20.0), (0.0, 0.0, 80.0, 20.0)
    extents = [long_line, short, short, short]
    assert page_turn(extents, [UP, DOWN, DOWN, DOWN]) == 0  # 600 against 240
    assert page_turn(extents, [DOWN, UP, UP, UP]) == 180
    # an unsure vote weighs less than a sure one
    assert page_turn([WIDE, WIDE], [("180", 0.51), ("0", 0.99)]) == 0


def test_the_axis_is_decided_by_area_and_only_its_lines_vote() -> None:
    extents = [TALL, TALL, TALL, WIDE]
    assert sideways(extents)
    # the one line across the page says upside down; the lines along it decide
    assert page_turn(extents, [UP, UP, UP, DOWN]) == 90
    assert not upside_down(extents, [UP, UP, UP, DOWN], on_side=True)
    assert upside_down(extents, [UP, UP, UP, DOWN], on_side=False)


def test_too_little_text_to_tell_is_upright() -> None:
    assert page_turn([], []) == 0
    assert page_turn([WIDE], [DOWN]) == 0
    assert page_turn([(5.0, 5.0, 5.0, 5.0)] * 3, [DOWN] * 3) == 0  # boxes with no size
    assert page_turn([WIDE, WIDE], [("", 0.0), ("", 0.0)]) == 0  # no vote at all
