"""Minor cues in message text: Japanese and English, normalised, whole tokens for short Latin."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.policy import MinorCues
from safety.cues import find_minor_cues, normalise
from tests.unit.cue_phrases_blind import BLIND
from tests.unit.cue_phrases_blind2 import PHRASES as BLIND2
from tests.unit.cue_phrases_dev import DEV
from tests.unit.cue_phrases_heldout import HELD_OUT

CUES = MinorCues()


@pytest.mark.parametrize(("text", "expected"), [
    ("この小学生の絵", ["小学生"]),
    ("中学生です", ["中学生"]),
    ("女子高生の制服", ["女子高生"]),
    ("児童の写真", ["児童"]),  # 児童向け (a product's audience) no longer fires: see below
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


# --- issue 7 item 2: the grammar, normalising, and the labelled phrases -----------------------

_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(("lang", "fires", "text"), DEV)
def test_dev_phrase(lang, fires, text):
    """Every development phrase; bench/cues.py reports these and the held-out ones apart."""
    assert bool(find_minor_cues(text, CUES)) is fires, find_minor_cues(text, CUES)


def test_phrase_sets_are_large_balanced_and_apart():
    assert len(DEV) + len(HELD_OUT) >= 300
    for phrases in (DEV, HELD_OUT):
        for lang in ("en", "ja"):
            mine = [fires for lg, fires, _ in phrases if lg == lang]
            assert len(mine) >= 70 and 0.35 <= sum(mine) / len(mine) <= 0.65, (lang, len(mine))
    assert not {t for *_, t in DEV} & {t for *_, t in HELD_OUT}


@pytest.mark.parametrize(("text", "expected"), [
    ("小6の娘", ["school:小6"]),
    ("中２です", ["school:中2"]),  # full-width digit
    ("高1", ["school:高1"]),
    ("中学二年生", ["school:中2"]),
    ("しょうがくせい", ["しょうがくせい"]),
    ("チュウガクセイ", ["ちゅうがくせい"]),
    ("じょしこうせい", ["じょしこうせい"]),
    ("she is only 13", ["age:13"]),
    ("*13*", []),
    ("*13* years old", ["age:13"]),
    ("13 years _old_", ["age:13"]),
    ("age: 12!", ["age:12"]),
    ("un\u200bder\u200bage", ["underage"]),
    ("小\u2060学生", ["小学生"]),
    ("under-age", ["under-age"]),
    ("a 7th grader", ["school:7th grader"]),
    ("8th-grade", ["school:8th-grade"]),
    ("she's a sophomore in high school", ["school:sophomore in high school"]),
    ("freshman", ["school:freshman"]),
    ("she's a minor", ["minor"]),
    ("no minors", ["minor"]),
    ("JK Rowling", []),
    ("JC Penney", []),
    ("the JS bundle", []),
    ("JSです", ["js"]),
    ("my 15-year-old laptop", []),
    ("a 12-year-old scotch", []),
    ("築15年", []),
    ("15年物", []),
    ("a minor bug", []),
    ("minor changes", []),
    ("C minor", []),
])
def test_issue_kinds(text, expected):
    assert find_minor_cues(text, CUES) == expected


def test_normalise_drops_invisible_characters_and_markup():
    assert normalise("ｊ\u200bk *bold* _it_ ~s~ `c` ||x|| 14\u2013year\ufe0f") == \
        "jk bold it s c x 14-year"


@given(st.integers(min_value=1, max_value=17),
       st.sampled_from(["laptop", "car", "whisky", "house", "dog", "company", "tree", "bottle",
                        "bourbon", "cat", "building", "phone"]),
       st.sampled_from(["my {n}-year-old {x}", "a {n} year old {x}", "the {x} is {n} years old",
                        "{x} aged {n} years", "our {n} yr old {x}", "this {n}yo {x}"]))
def test_property_ages_of_things_do_not_fire(n, thing, template):
    assert find_minor_cues(template.format(n=n, x=thing), CUES) == []


@given(st.integers(min_value=1, max_value=17), st.booleans(),
       st.sampled_from(["築{n}年", "{n}年物のワイン", "創業{n}年", "{n}年熟成", "愛犬は{n}歳",
                        "{n}年前の写真", "第{n}回", "{n}時に集合"]))
def test_property_japanese_ages_of_things_do_not_fire(n, wide, template):
    text = template.format(n=n)
    assert find_minor_cues(text.translate(_WIDE) if wide else text, CUES) == []


@given(st.integers(min_value=1, max_value=17), st.booleans(),
       st.sampled_from(["she's only {n}", "he is {n}", "i'm {n} lol", "my daughter is {n}.",
                        "*{n}* years old", "{n} years _old_", "`{n}` yo", "aged {n}", "age: {n}",
                        "my son ({n})", "まだ{n}", "娘は{n}です", "{n}\u200b歳", "a {n}-year-old"]))
def test_property_ages_of_people_fire(n, wide, template):
    text = template.format(n=n)
    assert f"age:{n}" in find_minor_cues(text.translate(_WIDE) if wide else text, CUES)


@given(st.sampled_from([("小", 6), ("中", 3), ("高", 3)]), st.data(), st.booleans(),
       st.sampled_from(["", "の娘", "です", "女子", "の時", "。"]))
def test_property_school_years_fire(school, data, wide, suffix):
    level, top = school
    n = data.draw(st.integers(min_value=1, max_value=top))
    text = f"娘は{level}{n}{suffix}"
    assert f"school:{level}{n}" in find_minor_cues(text.translate(_WIDE) if wide else text, CUES)


@given(st.sampled_from(["小", "中", "高"]), st.integers(min_value=1, max_value=3),
       st.sampled_from(["時間", "階", "日", "枚", "個", "cm", "回", ".5"]))
def test_property_school_years_before_units_do_not_fire(level, n, unit):
    assert find_minor_cues(f"{level}{n}{unit}", CUES) == []


@given(st.sampled_from([*CUES.words, *CUES.tokens]), st.data(),
       st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f"]))
def test_property_invisible_characters_do_not_hide_a_cue(cue, data, invisible):
    at = data.draw(st.integers(min_value=1, max_value=len(cue) - 1))
    hidden = cue[:at] + invisible + cue[at:]
    text = f"photo {hidden} here" if cue.isascii() else f"写真、{hidden}です"
    assert normalise(cue) in find_minor_cues(text, CUES)


@given(st.sampled_from(["bug", "change", "changes", "issue", "fix", "detail", "key", "chord",
                        "league", "role", "injury", "version", "edit", "update", "scale"]),
       st.sampled_from(["a minor {x}", "minor {x}", "the minor {x} here", "just a minor {x}."]))
def test_property_minor_as_an_adjective_does_not_fire(noun, template):
    assert find_minor_cues(template.format(x=noun), CUES) == []


@given(st.sampled_from("ABCDEFG"), st.sampled_from(["", "#", "♭", " sharp", " flat"]),
       st.sampled_from(["{k} minor", "in {k} minor", "Sonata in {k} minor.", "{k} minor scale"]))
def test_property_minor_keys_do_not_fire(key, accidental, template):
    assert find_minor_cues(template.format(k=key + accidental), CUES) == []


# --- issue 7, the late batch: each rule that closed a miss or a false alarm --------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("pic of me at 14", ["age:14"]),
    ("call me at 10", []),
    ("(16f)", ["age:16"]),
    ("[m15] hi", ["age:15"]),
    ("(30f)", []),
    ("the under-16 team", ["age:16"]),
    ("u2 concert", []),
    ("she's not 18 yet", ["age:under 18"]),
    ("she's 12 y'know", ["age:12"]),
    ("my niece turned 11 🎂", ["age:11"]),
    ("a year-9 student", ["school:year-9 student"]),
    ("a grade-7 girl", ["school:grade-7 girl"]),
    ("she's in elementary", ["school:in elementary"]),
    ("高3の時の担任と飲みに行った", []),
    ("our 5th grade teacher", []),
    ("middle school teacher", []),
    ("the minors in music theory", []),
    ("12 year old single malt", []),
    ("a 13-year-old marriage", []),
    ("kid gloves", []),
    ("junior high jump", []),
    ("child process", []),
    ("jailbait", ["jailbait"]),
    ("ジェーケー", ["じぇーけー"]),
    ("ちゅうぼう", ["ちゅうぼう"]),
    ("赤ちゃん", ["赤ちゃん"]),
    ("幼い子", ["幼い"]),
    ("幼い考え", []),
    ("小学校高学年", ["高学年"]),
    ("14歳の猫", []),
    ("3歳差", []),
    ("our baby is asleep", ["baby"]),
    ("baby carrots", []),
    ("new haircut jk", []),
    ("jk lol", []),
    ("DKの弟", ["dk"]),
    ("2DKの部屋", []),
])
def test_late_batch_rules(text, expected):
    assert find_minor_cues(text, CUES) == expected


@given(st.sampled_from([("小", 6), ("中", 3), ("高", 3)]), st.data(), st.booleans(),
       st.sampled_from(["の", "の時の", "の頃の", "時代の", "のときの", "の時のクラスの"]),
       st.sampled_from(["担任", "先生", "顧問", "校長", "コーチ", "監督"]))
def test_property_a_teacher_from_a_school_year_does_not_fire(school, data, wide, link, role):
    level, top = school
    n = data.draw(st.integers(min_value=1, max_value=top))
    text = f"{level}{n}{link}{role}と飲みに行った"
    assert find_minor_cues(text.translate(_WIDE) if wide else text, CUES) == []


@given(st.sampled_from(["1st", "3rd", "5th", "seventh", "8th", "12th"]),
       st.sampled_from(["teacher", "science teacher", "teachers", "coach", "reunion"]))
def test_property_an_adult_after_an_english_grade_does_not_fire(grade, role):
    assert find_minor_cues(f"my {grade} grade {role} said hi", CUES) == []


@given(st.sampled_from(["", "the ", "a ", "some "]),
       st.sampled_from(["carrots", "steps", "shark", "blue", "spinach", "monitor", "food",
                        "shower", "oil", "back ribs", "wipes"]))
def test_property_baby_as_a_modifier_does_not_fire(det, noun):
    assert find_minor_cues(f"{det}baby {noun} again", CUES) == []


@given(st.lists(st.sampled_from(["new", "haircut", "cake", "ship", "it", "friday", "deploy"]),
                min_size=1, max_size=4),
       st.sampled_from(["", " lol", "!", " 😂", " haha", "."]))
def test_property_just_kidding_does_not_fire(words, tail):
    assert find_minor_cues(" ".join(words) + " jk" + tail, CUES) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("中学の時の写真", ["school:中学の時"]),
    ("高校時代の私", ["school:高校時代"]),
    ("小学校のころ", ["school:小学校のころ"]),
    ("中学校の時計", []),
    ("中学の時間割", []),
    ("中学校コロッケ", []),
    ("中学の時の担任", []),
    ("10代前半", ["age:10代"]),
    ("十代の頃", ["age:10代"]),
    ("10代目社長", []),
    ("ゆいちゃん（5）", ["age:5"]),
    ("年長さんの娘", ["年長さん"]),
    ("she's in high school", ["school:she's in high school"]),
    ("me in high school lol", ["school:me in high school"]),
    ("high school reunion", []),
])
def test_school_times_and_teens(text, expected):
    assert find_minor_cues(text, CUES) == expected


def test_blind_batch_is_balanced_and_apart_from_the_development_phrases():
    """The blind batch is reported by bench/cues.py only, never asserted phrase by phrase."""
    for lang in ("en", "ja"):
        mine = [fires for _, lg, fires in BLIND if lg == lang]
        assert len(mine) == 80 and sum(mine) == 40, lang
    blind = {t for t, _, _ in BLIND}
    assert not blind & {t for *_, t in DEV}
    # Written independently of the first held-out batch; one ordinary phrase coincides.
    assert blind & {t for *_, t in HELD_OUT} == {"小1時間待った"}


# --- issue 7, after the first blind batch: compounds, signs, ranges, spans, keys, names ----------

@pytest.mark.parametrize(("text", "expected"), [
    ("少女漫画の表紙", []),
    ("赤ちゃん肌になれる化粧水", []),
    ("子供の日の鯉のぼり", []),
    ("キッズ携帯の料金プラン", []),
    ("児童書コーナー", []),
    ("児童向け", []),
    ("子供服のセール", []),
    ("小学生並みの感想", []),
    ("未成年者飲酒禁止のポスター", []),
    ("小学生以下無料", []),
    ("ガキの使い見てた", []),
    ("JKローリングの新刊", []),
    ("少女漫画のヒロインみたいな子", ["少女"]),  # a likeness still describes a person
    ("子供本人が来た", ["子供"]),
    ("子供の頃の私", ["子供"]),
    ("対象年齢3歳以上", []),
    ("6歳以上のおもちゃ", []),
    ("ages 10 and up", []),
    ("new set, ages 8+", []),
    ("14歳未満", ["age:14"]),  # "under 14" is still an age of a person
    ("been drawing since I was 12", []),
    ("ever since she was like 10", []),
    ("12歳から始めたピアノ", []),
    ("12歳の時からずっと", []),
    ("12 year old Glenfarclas", []),
    ("the song modulates to A minor in the bridge", []),
    ("A minor in the photo, delete it", ["minor"]),
    ("kids eat free on tuesdays", []),
    ("children must be accompanied by an adult", []),
    ("the kids menu", []),
    ("my kids' books everywhere", ["kids"]),  # a possessive keeps the people
    ("中学の時の部活の顧問が結婚した", []),
    ("中2の娘の担任", ["school:中2"]),  # a person in between: the daughter is the pupil
    ("小学校の運動会、息子が一等賞", ["school:小学校の運動会"]),
    ("中学の卒業式以来", []),
    ("チビたちと海に行った", ["ちびたち"]),
    ("15F, rate my outfit", ["age:15"]),
    ("rate my fit, 16F", ["age:16"]),
    ("room on 15F, nice view", []),
    ("year 8 trip to the museum, that's me", ["school:year 8 trip"]),
    ("grade 8 bolts", []),
])
def test_blind_batch_rules(text, expected):
    assert find_minor_cues(text, CUES) == expected


@given(st.integers(min_value=1, max_value=17), st.booleans(),
       st.sampled_from(["{n}歳以上", "対象年齢{n}歳以上", "ages {n}+", "ages {n} and up",
                        "for ages {n} and over", "age {n}+", "{n}才以上", "{n}+ years"]))
def test_property_range_floors_never_fire(n, wide, template):
    text = template.format(n=n)
    assert find_minor_cues(text.translate(_WIDE) if wide else text, CUES) == []


@given(st.sampled_from(["子供", "こども", "キッズ", "児童", "少女", "赤ちゃん", "幼児", "小学生"]),
       st.sampled_from(["漫画", "書", "服", "携帯", "肌", "向け", "用品", "料金", "手当", "食堂",
                        "映画", "番組", "の日", "並み", "部屋", "教育"]))
def test_property_a_japanese_compound_is_not_a_person(word, noun):
    assert find_minor_cues(f"{word}{noun}の写真", CUES) == []


@given(st.sampled_from(["kids", "children", "kid's", "child"]),
       st.sampled_from(["eat free", "must be accompanied by an adult", "menu", "meals",
                        "section", "books", "clothing", "tickets", "are not allowed"]))
def test_property_english_signs_and_products_are_not_people(word, rest):
    assert find_minor_cues(f"sign says {word} {rest}", CUES) == []


def test_second_blind_batch_is_balanced():
    """The second blind batch is reported by bench/cues.py only, never asserted phrase by phrase.
    Written without looking at the other sets; two ordinary phrases coincide with them."""
    for lang in ("en", "ja"):
        mine = [fires for _, lg, fires in BLIND2 if lg == lang]
        assert len(mine) == 100 and sum(mine) == 50, lang
    blind2 = {t for t, _, _ in BLIND2}
    others = {t for t, _, _ in BLIND} | {t for *_, t in DEV} | {t for *_, t in HELD_OUT}
    assert blind2 & others == {"子供の日の鯉のぼり", "少年ジャンプ最新号"}


# --- third grammar round (after the second blind batch): one case per category it generalised ---

@pytest.mark.parametrize(("text", "expected"), [
    # an age followed by a new clause or a comparison, not only by punctuation
    ("i'm 14 what do u think of my hair", ["age:14"]),
    ("he's 12 how tall will he get", ["age:12"]),
    ("me at twelve vs me at thirty", ["age:12"]),
    ("she's 5 foot 2", []),
    # quantifiers between the subject and the age
    ("they're all 15 lol", ["age:15"]),
    ("we're both only 12", ["age:12"]),
    # birthdays named for an age, never a thing's
    ("her quinceañera last weekend", ["age:15"]),
    ("my niece's sweet 16 party", ["age:16"]),
    ("the bakery's sweet 16 anniversary sale", []),
    # "a minor" before a pronoun or a vocative
    ("he's a minor you guys", ["minor"]),
    ("it's a minor issue", []),
    # the age at which a person did something: a teen number, a person before, no span
    ("he played his first gig at 14", ["age:14"]),
    ("my dog died at 15", []),
    ("i started coding at 13", []),
    ("meeting her at 15 today", []),
    ("pick my son up at 3", []),
    # an adult just before a school year; a school year that dates a subject or material
    ("my coach in 8th grade was strict", []),
    ("reads at a 5th grade reading level", []),
    ("the 4th grade spelling workbook", []),
    ("me in 7th grade math class", ["school:7th grade"]),
    ("the 6th grade science fair", ["school:6th grade"]),
    ("freshman 20 is a myth", []),
    # a capitalised name or title around a cue token
    ("Billy the Kid Museum tour", []),
    ("watched the Kids Choice Awards", []),
    ("My Kids at the park", ["kids"]),
    ("MY KIDS AT THE PARK", ["kids"]),
    # jk doubled or glossed as a joke
    ("jk jk that was a joke", []),
    ("jk 冗談です", []),
    ("JKです", ["jk"]),
    # Japanese ages in kana, without 歳, and after a time word
    ("ななさいの息子", ["age:7"]),
    ("弟はじゅうごさいです", ["age:15"]),
    ("じっさいに行ってみた", []),
    ("いっさい関係ない", []),
    ("十五の春に上京した", ["age:15"]),
    ("14の頃の私", ["age:14"]),
    ("昭和17の夏", []),
    ("x=3の時", []),
    ("娘、もう12です", ["age:12"]),
    ("弟が来月で16になる", ["age:16"]),
    # Japanese compounds: media, idioms, a school year's subject, likening an adult to a child
    ("小学生新聞の記事", []),
    ("子供みたいな大人", []),
    ("中学生みたいな部長", []),
    ("大人みたいな子供", ["子供"]),
    ("中3の英語の教科書", []),
    ("高2病の友達", []),
    ("娘は中1の数学が苦手", ["school:中1"]),
    # becoming an age; a number someone becomes, then the person
    ("my boy is turning 12 tomorrow", ["age:12"]),
    ("she's gonna be 13 next week", ["age:13"]),
    ("he'll be 14 in may", ["age:14"]),
    ("i'll be 15 minutes late", []),
    ("she's turning 40 lol", []),
    ("来年13になる息子", ["age:13"]),
    ("3になる犬", []),
    # "minor" as a degree's subject
    ("a minor in econ", []),
    ("her minor in french", []),
    ("a minor in the photo", ["minor"]),
    # teen in katakana
    ("プレティーンの娘", ["teen"]),
    ("ティーン向け雑誌", []),
])
def test_third_round_rules(text, expected):
    assert find_minor_cues(text, CUES) == expected


@given(st.integers(min_value=1, max_value=17), st.sampled_from(["の娘", "です", "の時", "。"]))
def test_property_kana_ages_fire(n, after):
    ones = ["", "いっ", "に", "さん", "よん", "ご", "ろく", "なな", "はっ", "きゅう"]
    kana = ("じゅっ" if n == 10 else "じゅう" + ones[n - 10]) if n >= 10 else ones[n]
    if n in (1, 9):  # いっさい (一切) and きゅうさい (救済) are ordinary words
        return
    assert f"age:{n}" in find_minor_cues(f"うちの子は{kana}さい{after}", CUES)


@pytest.mark.parametrize(("text", "expected"), [
    ("調子は今一だ", []),  # 今一: an idiom, not 今 + an age
    ("we landed at 14 and left at 16", []),  # clock times
    ("got my ears pierced at 13", ["age:13"]),
    ("Kids NEED sleep", ["kids"]),  # a shouted word is no name
    ("小学生みたいな字", []),  # a child's kind of thing, not a child
    ("子供のような笑顔の祖父", []),
    ("中学生みたいな見た目の子", ["中学生"]),
    ("レベル1の時", []),  # a number inside a word is no age
    ("クリスティーンの写真", []),  # ティーン inside a name
    ("my son's 7th grade math test", ["school:7th grade"]),  # a pupil's, not a material's
])
def test_third_round_rules_stay_narrow(text, expected):
    assert find_minor_cues(text, CUES) == expected


_FRAGMENTS = ["じゅうよん", "なな", "さい", "の", "夏", "十七", "17", "に", "なった", "娘", "、",
              "今年で", "i'm", "at", "15", "sweet", "sixteen", "minor", "in", "econ", "Kid", "Rock",
              "jk", "7th", "grade", "math", "中2", "病", "ティーン", "みたいな", "上司", " ",
              "\u200b"]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=16), st.text(max_size=40))
def test_property_any_mix_of_the_new_rules_parts_returns_a_list(parts, noise):
    """Every rule's parts in any order, with arbitrary text around: a list, never an exception."""
    found = find_minor_cues("".join(parts) + noise, CUES)
    assert isinstance(found, list) and all(isinstance(label, str) for label in found)


# --- fourth grammar round (after the third blind batch): each category, both ways ---------------

@pytest.mark.parametrize(("text", "expected"), [
    # letters spelt out one by one: joined and read again; an article before them stays apart
    ("that's a t e e n in the photo", ["teen"]),
    ("pretty sure she is a m i n o r", ["minor"]),
    ("a b c d e practice sheet", []),
    ("the u.s.a trip photos", []),
    ("J. K. Rowling signing", []),
    # leetspeak inside a mixed token: a digit between letters read as a letter
    ("pretty sure that's a k1d", ["kid"]),
    ("l0li art again", ["loli"]),
    ("mp3 player from 2004", []),
    ("covid19 test kit", []),
    ("h4x0r n00b lol", []),
    ("my w1fe's new car", []),
    ("16yo", ["age:16"]),  # digits at a token's end stay an age
    # a clause that starts with becoming an age, no subject
    ("turning 13 tomorrow and wants a phone", ["age:13"]),
    ("just turned 10 today, what a week", ["age:10"]),
    ("turning 40 next year", []),
    ("our cat, turning 12 today", []),
    ("turned 15 pages of notes", []),
    # ロリ/ショタ + a likeness suffix + a person or a picture
    ("ロリっぽい女の子のイラスト", ["ろり"]),
    ("ショタっぽい男の子", ["しょた"]),
    ("ロリっぽい服のブランド", []),
    # native Japanese counter ages (一つ to 九つ, in kanji or kana) of a child
    ("孫は八つになりました", ["age:8"]),
    ("ななつの娘と散歩", ["age:7"]),
    ("いつつになった息子", ["age:5"]),
    ("餃子は三つください", []),
    ("りんごを五つ買った", []),
    ("娘は三つ編みが好き", []),
    ("娘は二つ上の先輩と遊んだ", []),
    # a school named as an adult's workplace
    ("she goes to the middle school near us", ["middle school"]),
    ("I teach 3rd grade, classroom reveal", []),
    ("he works at an elementary school as a custodian", []),
    ("保育園で働いています", []),
    ("保育園に息子を迎えに行く", ["保育園"]),
    # a grown-up's memory of school days (an adult age or a long time since, no picture of then,
    # no child named) is no cue; with a picture or without the adult it still is
    ("when i was in 6th grade this song was everywhere, now i'm 31", []),
    ("中3の頃の思い出、もう20年前", []),
    ("me in 6th grade, now i'm 31", ["school:6th grade"]),
    ("中3の頃の写真、もう20年前", ["school:中3"]),
    # round seven: a memory of the speaker's own school days is no cue even with no adult age
    # (safety.life_stages.past_memory); a picture of then or a child named still is
    ("when i was in 6th grade this song was everywhere", []),
    ("me when i was in 6th grade lol", ["school:6th grade"]),
    ("my niece when she was 13, i'm 45 now", ["age:13"]),
])
def test_fourth_round_rules(text, expected):
    assert find_minor_cues(text, CUES) == expected


@given(st.sampled_from(["kid", "teen", "child", "loli", "minor", "underage"]),
       st.sampled_from([" ", ".", "-", " . "]), st.sampled_from(["", "that's a ", "she is a "]))
def test_property_spelt_out_cues_fire(word, sep, before):
    expected = "minor" if word == "minor" else word
    assert expected in find_minor_cues(before + sep.join(word) + " in the pic", CUES)


# --- fifth grammar round (after the fourth blind batch): each category, both ways ---------------

_YEAR = date.today().year


@pytest.mark.parametrize(("text", "expected"), [
    # keycap digits read as digits
    ("he's 1\ufe0f\u20e33\ufe0f\u20e3 lol", ["age:13"]),
    ("press 1\ufe0f\u20e3 for the menu", []),
    # a birth year recent enough to be a minor's; an adult's or a pet's is none
    (f"my niece was born in {_YEAR - 10}, this is her drawing", [f"age:born {_YEAR - 10}"]),
    (f"{_YEAR - 9}年生まれの甥っ子です", [f"age:born {_YEAR - 9}"]),
    (f"my sister was born in {_YEAR - 30}", []),
    (f"our cat was born in {_YEAR - 5} and still acts like a kitten", []),
    # school years in other systems
    ("my son is in Primary 4 this year", ["school:in primary 4"]),
    ("sixth former here, need advice on my art portfolio", ["school:sixth former"]),
    ("please fill in Form 2 and return it by friday", []),
    ("the form 3 submission deadline moved", []),
    # an age in months, weeks or days: a person's, not a thing's or an animal's
    ("my niece is 10 months old today", ["age:0"]),
    ("this thread is 3 days old, why bump it", []),
    ("a 6-week-old puppy from the shelter", []),
    ("生後5ヶ月の息子です", ["age:0"]),
    ("生後2ヶ月の子犬を迎えました", []),
    # a school token naming the place, unless a pupil is named just before
    ("the elementary school building was repainted blue", []),
    ("my daughter's elementary school building was repainted", ["elementary school"]),
    # clothing after a kid token is a product
    ("kids hoodies are cheaper so i buy those for myself", []),
    ("my kid's hoodie got shredded at the park", ["kid"]),
    # a calendar year long past dates the cue (no picture of then)
    ("the 5th grade spelling bee in 1995 still haunts me", []),
    ("she was 12 in 2003 when that song came out", []),
    (f"my son was in 5th grade in {_YEAR - 1}", ["school:5th grade"]),
    ("photo of me at 13 in 1999", ["age:13"]),
    ("she is 14, the house was built in 1998", ["age:14"]),
    # likening someone to a child is no child; a look still is one
    ("we were laughing like kids at the arcade", []),
    ("the guy in the pic looks like a kid", ["kid"]),
    # a hiragana particle after a kanji is not the katakana word it spells (ガキ)
    ("空がきれいな日だった", []),
    ("近所の悪ガキが遊んでる", ["がき"]),
    # a memory of school days without a picture is no pupil
    ("中学の時の思い出の曲を流してる", []),
    ("中学の時の思い出の写真", ["school:中学の時"]),
    # a difference of ages after 歳
    ("3歳若く見られるのが嬉しい", []),
    ("実年齢より10歳老けて見られる", []),
    ("若く見えるけど娘は13歳", ["age:13"]),
    # ages with the romaji counter, and まだ before a kanji age
    ("妹は12saiです", ["age:12"]),
    ("15 sailboats in the harbour", []),
    ("妹はまだ十五だよ", ["age:15"]),
    ("まだ三の段までしか覚えてない", []),
    # Japanese spaced out word by word is read again joined
    ("う ち の 娘 は じゅう に さい", ["age:12"]),
    ("よろしく お願い します 2 年 目 です", []),
])
def test_fifth_round_rules(text, expected):
    assert find_minor_cues(text, CUES) == expected


@pytest.mark.parametrize("person", ["娘", "甥は", "娘は今年"])
def test_a_long_run_of_spaces_after_a_person_stays_fast(person):
    # Adjacent optional \s* between a person and an age once took 14 s for 200 spaces (more
    # for more): each space run must be matched one way only. Spaced-out Japanese, read again
    # joined and padded with spaces, made such runs common.
    start = time.perf_counter()
    assert find_minor_cues(person + " " * 3000 + "14歳", CUES) == ["age:14"]
    assert time.perf_counter() - start < 2.0
