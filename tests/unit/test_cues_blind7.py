"""Blind set 7 (tests/unit/cue_phrases_blind7.py), development data since round seven: every line
the rules are meant to get right is asserted, and the rates over the whole set.

Five negatives are left on purpose: each names a picture of a person as a child long ago (a
yearbook photo, "me at my first communion back in 1995", "my dad at 10 years old, can you
colorize it", a class photo "from the 60s", 父の七五三の写真). The set's writer labels them not
minor (the person is an adult now); the policy and every earlier set label a picture of then a
minor cue, because the image shows a child (docs/policy.md, "Round seven"). A memory with no
picture ("when i was 12 i had this exact tamagotchi") does not fire."""

from __future__ import annotations

import pytest

from config.policy import MinorCues
from safety.cues import find_minor_cues
from tests.unit.cue_phrases_blind7 import EN, JA

CUES = MinorCues()
PICTURES_OF_THEN = frozenset({
    "found my 5th grade yearbook photo, look at those glasses 😂",
    "me at my first communion back in 1995",
    "this is my dad at 10 years old, can you colorize it",
    "my mom's kindergarten class photo from the 60s, restore please",
    "父の七五三の写真、昭和っぽくて好き",
})
LINES = [(text, fires) for text, fires in (*EN, *JA) if text not in PICTURES_OF_THEN]


def test_the_set_is_whole():
    assert (len(EN), len(JA)) == (130, 125)
    assert {text for text, _ in (*EN, *JA)} >= PICTURES_OF_THEN


@pytest.mark.parametrize(("text", "fires"), LINES)
def test_blind7_line(text, fires):
    assert bool(find_minor_cues(text, CUES)) is fires, find_minor_cues(text, CUES)


def test_pictures_of_then_still_fire():
    for text in PICTURES_OF_THEN:
        assert find_minor_cues(text, CUES), text


def test_rates_over_the_whole_set():
    fired = [(fires, bool(find_minor_cues(text, CUES))) for text, fires in (*EN, *JA)]
    positives = [got for want, got in fired if want]
    negatives = [got for want, got in fired if not want]
    assert sum(positives) / len(positives) == 1.0
    assert sum(negatives) / len(negatives) <= 5 / 131
