"""Round six of the minor-cue grammar (safety.milestones): ceremonies, school events, rites,
driving permits, youth sports and a baby's firsts fire; ages of things, animals and adults,
idioms and products named after them do not. Every phrase of cue_phrases_dev6 is asserted."""

from __future__ import annotations

import pytest

from config.policy import MinorCues
from safety.cues import find_minor_cues
from tests.unit.cue_phrases_dev6 import PHRASES

CUES = MinorCues()


def test_the_set_covers_both_languages_and_both_labels():
    assert len(PHRASES) >= 150
    for lang in ("en", "ja"):
        assert {fires for lang_, fires, _ in PHRASES if lang_ == lang} == {True, False}


@pytest.mark.parametrize(("lang", "fires", "text"), PHRASES)
def test_dev6_phrase(lang, fires, text):
    assert bool(find_minor_cues(text, CUES)) is fires, find_minor_cues(text, CUES)


@pytest.mark.parametrize(("text", "label"), [
    ("娘の七五三の写真です", "event:七五三"),
    ("pics from my son's bar mitzvah", "event:bar mitzvah"),
    ("he got his learner's permit today!", "event:learner's permit"),
    ("U-12の大会に出場しました", "age:12"),
    ("she made the U14 travel team", "age:14"),
    ("部活帰りの中学の息子", "school:中学の息子"),
])
def test_labels(text, label):
    assert label in find_minor_cues(text, CUES)


@pytest.mark.parametrize(("cue", "benign"), [
    ("her first steps, we cried", "the kitten's first steps, we cried"),
    ("娘の七五三", "愛犬の七五三"),
    ("修学旅行の写真", "大人の修学旅行の写真"),
    ("運動会の写真", "社内運動会の写真"),
    ("入学式の写真", "大学の入学式の写真"),
    ("my baby brother is 12 now", "my baby brother is 32 now"),
    ("his first tooth came in", "my first tooth implant at 50"),
    ("prom pics with her date", "adult prom pics with her date, 21+"),
    ("my son's 2nd birthday", "my dog's 2nd birthday"),
    ("at my niece's confirmation today", "her confirmation hearing today"),
    ("ランドセルの娘", "ランドセル型のリュック"),
    ("離乳食を始めた息子", "離乳食のレシピ本"),
    ("kindergarten graduation", "puppy kindergarten graduation"),
])
def test_each_rule_both_ways(cue, benign):
    assert find_minor_cues(cue, CUES)
    assert find_minor_cues(benign, CUES) == []
