"""Minor cues in message text: Japanese and English, normalised, whole tokens for short Latin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.policy import MinorCues
from safety.cues import find_minor_cues, normalise

CUES = MinorCues()


@pytest.mark.parametrize(("text", "expected"), [
    ("この小学生の絵", ["小学生"]),
    ("中学生です", ["中学生"]),
    ("女子高生の制服", ["女子高生"]),
    ("児童向け", ["児童"]),
    ("未成年", ["未成年"]),
    ("ロリ系", ["ろり"]),
    ("ﾛﾘ", ["ろり"]),  # half-width katakana
    ("ろり", ["ろり"]),  # hiragana
    ("JKの写真", ["jk"]),
    ("ＪＫ", ["jk"]),  # full-width Latin
    ("jc and jk", ["jc", "jk"]),
    ("she is UNDERAGE", ["underage"]),
    ("Middle   School photo", ["middle school"]),
    ("15yo", ["age:15"]),
    ("a 15 yo girl", ["age:15"]),
    ("14 year old", ["age:14"]),
    ("13-year-old", ["age:13"]),
    ("12 years old", ["age:12"]),
    ("16 y/o", ["age:16"]),
    ("14歳", ["age:14"]),
    ("１４さい", ["age:14"]),  # full-width digits, hiragana
    ("１４サイ", ["age:14"]),  # katakana folds to hiragana
    ("17才", ["age:17"]),
    ("中学生 14歳 JK", ["中学生", "age:14", "jk"]),
])
def test_cues_fire(text, expected):
    assert find_minor_cues(text, CUES) == expected


@pytest.mark.parametrize("text", [
    "", "JCB card", "nice jacket", "jkl;", "Hijk", "what does this sign say?", "2015 year",
    "in 2015 years", "18歳", "25歳", "30 years old", "18yo", "you", "15 you", "1.5歳", "カロリー",
    "ころりと", "ロリポップ", "summarise this slide", "アレルギー表示", "領収書の合計",
    "14 apples", "page 14", "kidney beans", "skid marks", "minority report",
])
def test_ordinary_text_does_not_fire(text):
    assert find_minor_cues(text, CUES) == []


def test_cue_list_comes_from_the_policy():
    cues = MinorCues(words=("子供",), tokens=("teen",), benign=(), max_minor_age=12)
    assert find_minor_cues("子供 teen 13歳 12歳 JK", cues) == ["子供", "teen", "age:12"]


def test_normalise_folds_width_kana_and_case():
    assert normalise("ＡＢｃ カタカナ ﾊﾝｶｸ １２") == "abc かたかな はんかく 12"


_ORDINARY = [
    "receipt", "menu", "allergen", "sign", "slide", "jacket", "jackal", "JCB", "JKL", "Jakarta",
    "calorie", "カロリー", "コロッケ", "ラーメン", "会議", "資料", "写真", "猫", "コーヒー",
    "2024年", "2015", "year", "years", "old", "total", "¥1,200", "tax", "invoice", "merchant",
    "学生証", "高校野球", "中学校", "photo", "school", "学校", "kidney", "kidnapped", "children's",
]
_SEPARATORS = st.sampled_from([" ", "  ", "、", "。", ", ", "\n", "/", "-", ""])


@given(st.lists(st.tuples(st.sampled_from(_ORDINARY), _SEPARATORS), max_size=12))
def test_property_ordinary_words_do_not_fire(parts):
    text = "".join(word + sep for word, sep in parts)
    cues = find_minor_cues(text, CUES)
    # "children's" is a deliberate cue; everything else in the vocabulary must never fire.
    assert all(cue == "children" for cue in cues), (text, cues)


@given(st.integers(min_value=18, max_value=999),
       st.sampled_from(["歳", "才", "さい", "yo", " year old", "-year-old", " years old"]))
def test_property_adult_ages_do_not_fire(age, suffix):
    assert find_minor_cues(f"{age}{suffix}", CUES) == []


@given(st.integers(min_value=1, max_value=17),
       st.sampled_from(["歳", "才", "さい", "サイ", "yo", " year old", "-year-old", " y/o"]),
       st.sampled_from(["", "my ", "写真の", "(", "aged "]),
       st.booleans())
def test_property_minor_ages_fire_wherever_they_stand(age, suffix, prefix, wide):
    text = f"{prefix}{age}{suffix} photo"
    if wide:  # full-width digits, as Japanese IMEs type them
        text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert f"age:{age}" in find_minor_cues(text, CUES)


@given(st.sampled_from([*CUES.words, *CUES.tokens]), st.sampled_from(["", " ", "。", "、"]),
       st.sampled_from(["", " ", "。", "!"]), st.booleans())
def test_property_every_listed_cue_fires_between_separators(cue, before, after, upper):
    text = f"写真{before}{cue.upper() if upper else cue}{after}です"
    if cue.isascii():
        text = f"photo{before or ' '}{cue.upper() if upper else cue}{after or ' '}here"
    assert normalise(cue) in find_minor_cues(text, CUES)
