"""Disguised letters and split words (safety.normalise, safety.rejoin), each caught and each
guard held: the disguised cue fires, the near miss in ordinary text does not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.policy import MinorCues
from safety.cues import find_minor_cues
from safety.normalise import fold_confusables, fold_kanji, strip_marks, undisguise

CUES = MinorCues()


# --- look-alike letters from other scripts ------------------------------------------------------
@pytest.mark.parametrize(("text", "cue"), [
    ("she's a m\u0456nor", "minor"),  # Cyrillic і
    ("t\u0435\u0435n girl in the pic", "teen"),  # Cyrillic е
    ("my \u043a\u0456d", "kid"),  # Cyrillic к (skeleton: small capital ĸ, capital К is K)
    ("\u0455\u04bb\u0435 \u0456\u0455 \u0430 \u043a\u0456\u0501", "kid"),  # all Cyrillic
    ("sch\u03bfolgirl", "schoolgirl"),  # Greek ο
    ("l\u03bfl\u0456", "loli"),
    ("UND\u0415RAGE", "underage"),  # Cyrillic capital Е
])
def test_look_alike_letters_are_read_as_latin(text, cue):
    assert cue in find_minor_cues(text, CUES)


@pytest.mark.parametrize("text", [
    "Привет, как дела? Это мой кот",  # Russian in its own script
    "мама и папа дома",  # all look-alikes but и: a real Cyrillic text, left alone
    "Καλημέρα, το παιδί μου",  # Greek
    "\u0441\u043e\u043a \u0438 \u0447\u0430\u0439",  # сок и чай
])
def test_text_in_its_own_script_is_not_folded(text):
    assert fold_confusables(text) == text
    assert find_minor_cues(text, CUES) == []


def test_a_script_used_only_for_look_alikes_is_folded():
    assert fold_confusables("\u0455\u04bb\u0435 \u0456\u0455 \u0430 \u043a\u0456\u0501") == \
        "she is a kid"
    # The same word in a Russian sentence (и, й, я are letters of their own) stays Cyrillic.
    assert fold_confusables("я и \u043a\u0456\u0501") == "я и \u043a\u0456\u0501"


def test_japanese_is_never_folded_to_latin():
    text = "カロリー ロリポップ 工場 二回 口コミ へそ ーー"
    assert fold_confusables(text) == text
    assert undisguise(text) == text


# --- combining marks ------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "cue"), [
    ("c\u0336h\u0336i\u0336l\u0336d\u0336 in the photo", "child"),  # strikethrough
    ("\u00fcnderage", "underage"),
    ("k\u00edd", "kid"),
    ("t\u0332e\u0332e\u0332n\u0332", "teen"),  # underline
    ("m\u0301\u0302\u0303i\u0304\u0305n\u0306or", "minor"),  # stacked marks (zalgo)
    ("\u5b50\u0336\u4f9b\u0336\u306e\u5199\u771f", "子供"),  # strikethrough on kanji
])
def test_combining_marks_are_dropped(text, cue):
    assert cue in find_minor_cues(text, CUES)


def test_kana_voicing_marks_stay():
    assert strip_marks("ガキ ぱぱ ちゅうがくせい") == "ガキ ぱぱ ちゅうがくせい"
    assert strip_marks("カ\u3099キ\u0336") == "ガキ"  # ガ composes again, the stroke goes
    assert find_minor_cues("カキフライ定食", CUES) == []  # カキ (oyster) is no ガキ


@pytest.mark.parametrize("text", ["r\u00e9sum\u00e9 review", "na\u00efve question", "jalape\u00f1o",
                                  "Pok\u00e9mon cards", "caf\u00e9 menu"])
def test_accented_words_stay_benign(text):
    assert find_minor_cues(text, CUES) == []


# --- old and variant kanji ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "cue"), [
    ("小學生の写真", "小学生"),
    ("中學生です", "中学生"),
    ("髙校生の娘", "高校生"),
    ("兒童の写真", "児童"),
    ("娘は十四歲", "age:14"),
])
def test_old_kanji_are_read_in_their_common_form(text, cue):
    assert cue in find_minor_cues(text, CUES)


def test_kanji_fold_leaves_modern_text_alone():
    text = "学校の国語の授業で、歳時記を読んだ。体育館は会場です。"
    assert fold_kanji(text) == text
    assert fold_kanji("學校 國語 會場 體育") == "学校 国語 会場 体育"
    assert find_minor_cues("大學の同窓會で國語の先生に会った", CUES) == []


# --- words split by a space or a no-break space ---------------------------------------------------
@pytest.mark.parametrize(("text", "cue"), [
    ("she is a mi nor", "minor"),
    ("she is a mi\u00a0nor", "minor"),  # no-break space
    ("und erage girl", "underage"),
    ("und\u00a0erage", "underage"),
    ("my ki ds at the pool", "kids"),
    ("th ek id in the pic", "kid"),  # the spaces moved: "the kid"
    ("he is a todd ler", "toddler"),
    ("sh e's on ly 14", "age:14"),
    ("hi s fir st toot h came in!", "event:first tooth"),  # known "fir st" beside split words
    ("中学 生の娘", "中学生"),
    ("小学\u00a0生です", "小学生"),
])
def test_split_words_are_read_whole(text, cue):
    assert cue in find_minor_cues(text, CUES)


@pytest.mark.parametrize("text", [
    "wait a min or two",  # two real words: never joined
    "give it a min or so",
    "I shot a video of the sunset",  # not "shota"
    "neither Mi nor Jun came to the meeting",  # a name inside a sentence is no piece
    "the day care costs went up",  # both words known: left as they are
    "Lo Li Ming sent the file",
    "teh report is done",  # an unknown word with no better reading
    "do re mi fa so la ti",
    "a fir st aid kit",  # "fir st" alone, with no split word beside it, stays two words
    "tickets for kidsplay arena",  # an unknown word is never cut into known ones
])
def test_ordinary_adjacent_words_are_not_joined_into_cues(text):
    assert find_minor_cues(text, CUES) == []


# --- long input: no quadratic blow-up (a small example budget, no timing assertion) --------------
_PIECES = st.sampled_from(["mi", "nor", " ", "\u00a0", "\u0456", "\u0336", "學", "中", "ki",
                           "d", "a", "14", "歳", "、", "\n", "e", "kid", "\u200b"])


@settings(max_examples=25, deadline=None)
@given(st.lists(_PIECES, min_size=500, max_size=3000))
def test_long_disguised_input_completes(pieces):
    text = "".join(pieces)
    assert isinstance(find_minor_cues(text, CUES), list)
    assert isinstance(undisguise(text), str)


# --- a no-break space inside a word; the matcher's own words; split heads and numbers -------------
@pytest.mark.parametrize(("text", "cue"), [
    ("a min\u00a0or", "minor"),  # two known words, but nobody types NBSP between words
    ("still a min\u00a0or.", "minor"),
    ("quin\u00a0cea\u00f1e\u00a0ra dress fitting", "age:15"),  # a quinceañera: she is 15
    ("女\u00a0子中2", "school:中2"),
    ("as a min or an d a student", "minor"),  # beside split words: the matcher's "minor"
    ("he' s a min or, delet e it", "minor"),
    ("my son's Bar Mitz vah photos", "event:bar mitzvah"),  # "Mitz" heads a split word
    ("fift een y/o", "age:15"),  # the padding stays clear of "y/o"
    ("女 子中2", "school:中2"),
    ("a 16y o", "age:16"),
    ("1 5F, rat e my outfit", "age:15"),  # one number split between its digits
    ("her U1 0 tea m won", "age:10"),
])
def test_split_cue_words_joined_by_the_new_rules(text, cue):
    assert cue in find_minor_cues(text, CUES)


@pytest.mark.parametrize("text", [
    "I shot\u00a0a video of the sunset",  # a one-letter word stands alone
    "see you in\u00a0a\u00a0bit",
    "JK lol I didn' t mean it, the pic is fine",  # "lol I" is no "loli"
    "wait a min or two",  # no split word beside it
    "neither Mi nor Jun came to the meeting",  # the next word is known: a name
    "took bus 1 5 then the 7 ba ck",  # digits alone may be two numbers
    "a 1 5mm len s cap",  # joined, 15mm is a size, no age
])
def test_new_split_rules_leave_ordinary_text_alone(text):
    assert find_minor_cues(text, CUES) == []
