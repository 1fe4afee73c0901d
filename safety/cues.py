"""Minor cues in message text, Japanese and English: the policy's cue lists plus a small grammar.

docs/policy.md ("Minor cues") documents both; ``safety.cue_words`` holds the grammar's vocabulary.
In short, text and lists are normalised alike (``normalise``: invisible characters and chat markup
dropped, NFKC, dashes to ``-``, katakana to hiragana, lower case); then

- ``words`` match as substrings (a kana-only word not before a long vowel う/ー, and, when
  shorter than 4 kana, not after kana: ロリ is not in カロリー), not as part of a compound that
  names a thing, a title or an idiom (少女漫画, 中学生日記, ガキ大将) nor when they only liken an
  adult to a child (子供みたいな大人); ``tokens`` as whole tokens with ``s``/``'s``, inner spaces
  or hyphens matching any or none, not inside a capitalised name or title (Kid Rock, Spy Kids);
  an initialism (jk, jc) not before a capitalised name or a technical word, and "jk" not as
  English "just kidding" (nor doubled or glossed: "jk jk", "jk 冗談"); ``benign`` phrases are
  masked first;
- the grammar adds school years (``school:<text>``: 小6, 中2, 高1, 中学2年, "8th grader",
  "in grade 9", "year-9 student", "sophomore in high school", "in elementary"), not when an adult
  follows or comes just before (高3の時の担任, "my 7th grade teacher", "my teacher from 6th
  grade"), nor when the year only dates a subject or a material or names an idiom (高1の数学,
  中2病, "the 7th grade math textbook", "freshman 15"); ages of people up to ``max_minor_age``
  (``age:<n>``: "14歳", "十四歳", "じゅうよんさい", "13-year-old", "aged 13", "she's only 13",
  "they're all 12", "i'm 14 how do i look", "he's turning 12", "my son (11)", "me at 14", "got
  her permit at 15" (a teen number after a person in the sentence, not a span: "started at
  13"), "(16f)", "under-16 team", "sweet sixteen", 妹、今年で17, 13になる息子, 十七の夏), never
  ages of things ("15-year-old laptop", "14歳の猫", "3歳差") or range floors ("ages 8+");
  ``minor`` and ``baby`` for a person only ("she's a minor", never "a minor bug", "a minor in
  econ", "minors in music theory", "baby carrots"); ``js``/``dk`` next to Japanese text only;
  幼い before a child noun (``幼い``); ティーン, ローティーン (``teen``);
- "turning 11 next month" (a clause that starts with becoming an age); native counter ages
  of a child (甥は九つになった, ななつの娘; not 餃子は三つ, 三つ編み); ロリ/ショタ before a
  likeness and a person or picture (ロリっぽい子; not ロリっぽい服);
- letters spelt out ("u n d e r a g e", "she's a t e e n") and leetspeak inside a mixed token
  ("m1n0r", "t33n"; not "14yo", "mp3") are read a second time decoded;
- round five: keycap digits read as digits ("1️⃣6️⃣"); a recent birth year ("born in 2014",
  2014年生まれ: ``age:born <year>``); an age in months, weeks or days of a person ("8 months
  old", 生後8ヶ月; not "a 2 day old post", 生後2ヶ月の子犬); school years of other systems ("in
  Form 3", "in primary 4", "lower sixth", "sixth former"); 15sai; まだ十六; Japanese spaced out
  word by word ("中 学 2 年 の 娘") read again joined; and not: a school token before the place
  ("the middle school building"), a kid token before clothing ("kids sneakers"), a likeness
  ("like a kid in a candy store"; "looks like a kid" still fires), a hiragana particle after a
  kanji that spells a katakana cue (色がきれい is not ガキ), a school time's memory with no picture
  (小学生の頃の夢), a difference of ages (5歳若く), and any cue in a past-tense clause dated by a
  calendar year so long ago that whoever it names is an adult now ("the 7th grade science fair
  in 1998"; not with a picture of then);
- school cues about adults do not fire: a job at the school ("a teacher at an elementary
  school", "I teach 4th grade", 保育園で働いています), or the speaker's own past (中3の頃, "when i
  was in 8th grade") in a message that says the speaker is an adult now (今は35歳, "now im 30",
  20年前) with no picture of then and no child named;
- round seven (``safety.life_stages``): youth sports, a baby's firsts, a young child's life,
  puberty and school events with a child fire; a memory of long ago with no picture of then
  and no child named (no adult age needed now), ages of animals and things, grown children
  called kids or baby, schools as places, seasons, likenesses, toys and idioms do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Protocol

import jaconv

from safety import cue_words as W
from safety.life_stages import child_owner_before, life_stage_hits, not_now, past_memory
from safety.milestones import milestone_hits, thing_birthday
from safety.normalise import undisguise
from safety.rejoin import Lexicon, nbsp_joined, rejoined


class CueList(Protocol):
    """What ``find_minor_cues`` needs (``config.policy.MinorCues`` fits)."""

    @property
    def words(self) -> tuple[str, ...]: ...

    @property
    def tokens(self) -> tuple[str, ...]: ...

    @property
    def benign(self) -> tuple[str, ...]: ...

    @property
    def max_minor_age(self) -> int: ...


_WINDOW = 48  # characters looked at around a match (keeps long messages linear)
_ACADEMIC = re.compile(r"(?:have|has|had|got|get|getting|doing|earned|earning|completed|declared|"
                       r"declaring|pursuing)\s+a\s+$")
_KEY = re.compile(r"(?:(?:in|of)\s+|^|[^A-Za-z'])A\s+$")  # "A minor", "in A minor": the key
_TO_KEY = re.compile(r"(?<![a-z])(?:to|into|from|key\s+of)\s+a\s+$")  # "goes to A minor"
_MINOR_DET = re.compile(r"(?:^|[^a-z])(?:a|an|the|this|that|any|another|every|each|no|one)\s+$"
                        r"|(?:^|[.!?:;(\n])\s*$")  # an article, or the start of a sentence
_INITIAL_SLANG = re.compile(r"(?<![a-z0-9])(?:js|dk)(?:[1-6](?![0-9]))?(?![a-z0-9])")
_INITIALISM = re.compile(r"[b-df-hj-np-tv-z]{2,3}")  # jk, jc: no vowel
_JA_CHAR = re.compile(r"[぀-ヿ一-鿿]")
_LATIN_WORD = re.compile(r"[a-z']+")
_NEXT_WORD = re.compile(r"\s*([a-z']+)?")
_NAME_NEXT = re.compile(r"\s+[A-Z][a-z]")  # "JK Rowling"
_PARTICLE = re.compile(r"^[\s\-]*(?:[のでをはがもに]\s*)?")
_BASEBALL = re.compile(r"(?:(?:to|in|from|of|into)\s+the|majors\s+and)\s+$")  # "to the minors"
_ADULT_LATER_JA = re.compile(r"([^、。!?！？\n,.]{0,10}?)" + W.ADULT_ROLE_JA.pattern)
_KANJI_END = re.compile(r"[一-鿿]$")
_SIZES_END = re.compile(r"大[0-9一-九][\s、,・/]*(?:中[0-9一-九][\s、,・/]*)?$")  # 大2小1
# Also dropped: the keycap mark (1️⃣ reads as 1), the grapheme joiner and Hangul fillers.
_INVISIBLE_EXTRA = {0x20E3, 0x034F, 0x115F, 0x1160, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0}
_FOLD = str.maketrans({**{c: None for c in "*_~`|"}, **{c: "-" for c in "‐‑‒–—―−"},
                       "’": "'", "‘": "'", "🔟": "10"})


@lru_cache(maxsize=1)
def _invisible() -> dict[int, None]:
    """A ``str.translate`` table that drops format characters (Unicode Cf), variation
    selectors and Hangul fillers. Built once on first use: one ``translate`` per message is
    cheaper than a ``unicodedata.category`` call per character."""
    points = [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Cf"]
    points += [*_INVISIBLE_EXTRA, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
    return dict.fromkeys(points)


def _visible(text: str) -> str:
    return text.translate(_invisible())


def _folded(text: str) -> str:
    """Normalised text before katakana is folded: its script tells ガキ from the particle in
    色がきれい. Disguised letters are read plain (``safety.normalise``: marks, look-alikes from
    other scripts, old kanji)."""
    return undisguise(_visible(unicodedata.normalize("NFKC", _visible(text)))).translate(_FOLD)


def _clean(text: str) -> str:
    """Normalised text, case kept (initialism filters look at capitals)."""
    return jaconv.kata2hira(_folded(text))


def _lower(text: str) -> str:
    # The lowered text must stay aligned with the cased one, character for character.
    low = text.lower()
    if len(low) == len(text):  # no character grew (none shrinks), so all stay aligned
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalise(text: str) -> str:
    """Invisible characters and chat markup dropped, NFKC, katakana to hiragana, lower case."""
    return _lower(_clean(text))


@lru_cache(maxsize=32)
def _patterns(
    words: tuple[str, ...], tokens: tuple[str, ...], benign: tuple[str, ...]
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
    # Cached per cue list (an immutable tuple), so compiling happens once per policy.
    word_parts = []
    for word in sorted({normalise(w) for w in words if w.strip()}, key=len, reverse=True):
        part = re.escape(word)
        if re.fullmatch(r"[ぁ-ゖー]+", word):
            part = ("(?<![ぁ-ゖー])" if len(word) < 4 else "") + part + "(?![うぅー])"
        word_parts.append(part)
    token_parts = []
    for tok in sorted({normalise(t) for t in tokens if t.strip()}, key=len, reverse=True):
        part = r"[\s.\-]*".join(re.escape(p) for p in re.split(r"[\s\-]+", tok.strip()) if p)
        token_parts.append(part + (r"(?:[1-6](?![0-9]))?" if _INITIALISM.fullmatch(tok) else ""))
    benign_parts = [re.escape(normalise(b)) for b in benign if b.strip()]
    return (
        re.compile("|".join(word_parts)) if word_parts else None,
        re.compile(r"(?<![a-z0-9])(" + "|".join(token_parts) + r")(?:s|'s)?(?![a-z0-9])")
        if token_parts else None,
        re.compile("|".join(benign_parts)) if benign_parts else None,
    )


def _number(m: re.Match[str]) -> int:
    groups = m.groupdict()
    if groups.get("k"):
        tens, _, ones = groups["k"].rpartition("十")
        value = W.KANJI_DIGITS.get(ones, 0)
        return value + (10 * (W.KANJI_DIGITS.get(tens, 1)) if "十" in groups["k"] else 0)
    if groups.get("kana"):
        kana = groups["kana"]
        tens = 10 if kana.startswith("じゅ") else 0
        return tens + W.KANA_ONES.get(kana.removeprefix("じゅう").removeprefix("じゅっ"), 0)
    if groups.get("w"):
        return W.ORDINALS[groups["w"]]
    raw = groups["n"]
    return int(raw) if raw.isdigit() else W.NUMBER_WORDS[raw]


def _noun_kind(word: str) -> str | None:
    for w in (word, word.removesuffix("'s"), word.removesuffix("s"), word.removesuffix("es")):
        if w in W.PERSONS:
            return "person"
        if w in W.THINGS:
            return "thing"
    return None


def _nearest_kind(low: str, start: int, end: int) -> str | None:
    """The kind of the nearest listed English noun after (two words) or before (four words)."""
    for word in _LATIN_WORD.findall(low, end, end + _WINDOW)[:2]:
        kind = _noun_kind(word)
        if kind:
            return kind
    for word in reversed(_LATIN_WORD.findall(low, max(0, start - _WINDOW), start)[-4:]):
        kind = _noun_kind(word)
        if kind:
            return kind
    return None


def _is_thing_age(low: str, start: int, end: int) -> bool:
    """The nearest listed noun after (two words) or before (four words) is a thing or animal."""
    if W.FLOOR.match(low, end) or W.JA_ANIMAL_AFTER.match(low, end):
        return True
    kind = _nearest_kind(low, start, end)
    if kind:
        return kind == "thing"
    before = low[max(0, start - 8):start]
    animal = max((m.end() for m in W.JA_ANIMAL_BEFORE.finditer(before)), default=-1)
    person = max((before.rfind(p) + len(p) for p in W.JA_PERSONS if p in before), default=-1)
    return animal > person


def _compound(low: str, end: int) -> bool:
    """A Japanese cue word that a following noun makes a thing: 少女漫画, キッズ携帯, 子供の日
    (but 少女漫画のヒロインみたいな子 still describes a person)."""
    m = W.JA_NOT_PERSON_AFTER.match(low, end)
    return m is not None and not W.JA_LIKE_PERSON.match(low, m.end())


def _initialism_ok(low: str, cased: str, start: int, end: int) -> bool:
    """jk/jc/js/dk: not before a capitalised name or a technical word."""
    if _NAME_NEXT.match(cased, end):
        return False
    return not W.TECH.match(_PARTICLE.sub("", low[end:end + 12]))


def _joking(low: str, start: int, end: int) -> bool:
    """English "jk" for "just kidding": at the end of a clause, not after "a", "my", "and"..."""
    if W.JK_JOKE.match(low, end) or re.search(r"jk[\s,.!]*$", low[max(0, start - 6):start]):
        return True  # doubled or glossed: "jk jk", "jk 冗談だよ"
    if _JA_CHAR.search(low[max(0, start - 3):end + 3]) or not W.JOKING.match(low, end):
        return False
    before = _LATIN_WORD.findall(low, max(0, start - _WINDOW), start)
    if not before:  # "jk lol" jokes; "JK" alone is the noun
        return bool(W.JOKE_MARK.match(low, end))
    return before[-1] not in W.JK_NOUN_BEFORE


_TITLE_WORD = re.compile(r"[A-Z][a-z]+")
_TITLE_BEFORE = re.compile(r"([A-Z][a-z]+)[ ]$")
_TITLE_AFTER = re.compile(r"[ ]([A-Z][a-z]+)(?![A-Za-z])")


def _in_title(cased: str, start: int, end: int) -> bool:
    """A capitalised cue in a capitalised name or title: Kid Rock, Spy Kids (not MY KID, not
    "My Kid's first day": a sentence's first word or a function word is no name)."""
    if not _TITLE_WORD.match(cased, start):
        return False
    for m in (_TITLE_BEFORE.search(cased, max(0, start - 24), start),
              _TITLE_AFTER.match(cased, end)):
        if m and m.group(1).lower() not in _NOT_NAMES:
            return True
    return False


_NOT_NAMES = W.FUNCTION | W.words("my our his her their your the a an this that i me we happy "
                                  "little young sweet cute good proud")


def _adult_follows(low: str, end: int) -> bool:
    """A teacher, coach or reunion right after a school cue: the person meant is an adult.
    In Japanese a short phrase may stand between (中学の時の部活の顧問) unless it names a
    person (中2の娘の担任: the daughter is the pupil)."""
    rest = low[end:end + 24]
    if W.ADULT_ROLE_EN.match(rest) or W.ADULT_ROLE_JA.match(rest):
        return True
    m = _ADULT_LATER_JA.match(rest)
    return m is not None and not any(p in m.group(1) for p in W.JA_PERSONS)


def _range_or_span(low: str, m: re.Match[str]) -> bool:
    """"ages 8+", "対象年齢3歳以上", "since I was 12", "12歳から始めた": a range or a span of time,
    not a person's age."""
    groups = m.groupdict()  # a kana age has neither group
    num_end = m.end("n") if groups.get("n") else m.end("k") if groups.get("k") else m.end()
    if W.FLOOR.match(low, num_end) or W.FLOOR.match(low, m.end()):
        return True
    start = m.start("n") if groups.get("n") else m.start()
    if W.SINCE_BEFORE.search(low, max(0, start - _WINDOW), start):
        return True
    return bool(W.JA_SINCE_AFTER.match(low, num_end))


def _person_did_at(low: str, start: int) -> bool:
    """"got her permit at 15": a person earlier in the sentence, no span ("started at 13") and no
    clock time ("we arrived at 13", "my flight lands at 16")."""
    before = low[max(0, start - _WINDOW):start]
    sentence = re.split(r"[.!?\n]", before)[-1]
    after = re.split(r"[.!?\n]", low[start:start + _WINDOW])[0]
    if W.SPAN_VERBS.search(sentence) or W.CLOCK_CONTEXT.search(sentence + after):
        return False
    return any(w in W.AT_AGE_PERSON or _noun_kind(w) == "person"
               for w in _LATIN_WORD.findall(sentence))


def _ages(low: str, max_age: int) -> list[tuple[int, str]]:
    hits = []
    patterns = [*W.AGE_EN, *((p, i <= 1) for i, p in enumerate(W.AGE_JA)), (W.BIRTHDAY, False)]
    for pattern, things in patterns:
        for m in pattern.finditer(low):
            n = _number(m)
            if n <= max_age and not (things and _is_thing_age(low, m.start(), m.end())) \
                    and not _range_or_span(low, m) \
                    and not (pattern is W.BIRTHDAY and thing_birthday(low, m.start())):
                hits.append((m.start(), f"age:{n}"))
    for m in W.MILESTONE.finditer(low):
        n = 16 if m["s16"] else 15
        if n <= max_age and not _is_thing_age(low, m.start(), m.end()):
            hits.append((m.start(), f"age:{n}"))
    for m in W.AT_AGE.finditer(low):
        n = _number(m)
        if 13 <= n <= max_age and _person_did_at(low, m.start()) \
                and not _is_thing_age(low, m.start(), m.end()):
            hits.append((m.start(), f"age:{n}"))
    this_year = date.today().year
    born = W.BORN.finditer(low) if "born" in low or "まれ" in low else ()  # a cheap first test
    for m in born:  # "born in 2014": may still be under age if born since
        n = this_year - int(m["y"] or m["j"])
        if 0 <= n <= max_age + 1 and not _is_thing_age(low, m.start(), m.end()):
            hits.append((m.start(), f"age:born {m['y'] or m['j']}"))
    months_old = W.MONTHS_OLD.finditer(low) if "old" in low or "生後" in low else ()
    for m in months_old:  # "8 months old": a person's (a post has days too)
        months = _number(m) if m["u"] and m["u"].startswith("mo") else 0
        if m["m"] and m["ju"] == "月":
            months = int(m["m"])
        if months // 12 <= max_age and not _is_thing_age(low, m.start(), m.end()) and (
                m["m"] or _nearest_kind(low, m.start(), m.end()) == "person"):
            hits.append((m.start(), f"age:{months // 12}"))
    if max_age >= 17:
        hits.extend((m.start(), "age:under 18") for m in W.NOT_ADULT_YET.finditer(low))
        hits.extend((m.start(), "age:10代") for m in W.TEENS_JA.finditer(low))
    return hits


def _dates_material(low: str, start: int, end: int) -> bool:
    """"the 7th grade math textbook": a school year that dates a subject or a thing, not a pupil
    ("me in 7th grade math class" still is one)."""
    before = _LATIN_WORD.findall(low, max(0, start - 24), start)[-2:]
    if re.search(r"(?<![a-z])in\s+$", low[max(0, start - 4):start]) or any(
            _noun_kind(w) == "person" for w in before):
        return False  # "in 7th grade math", "my son's 7th grade math test": a pupil
    if W.GRADE_MATERIAL_EN.match(low, end):
        return True
    nxt = _LATIN_WORD.findall(low, end, end + 24)[:2]
    return any(_noun_kind(w) == "thing" for w in nxt)


def _ja_material(low: str, start: int, end: int) -> bool:
    """高1の数学, 中2病: a school year that dates a subject or names an idiom, unless a person
    stands just before (娘は高1の数学が苦手)."""
    before = low[max(0, start - 6):start]
    return bool(W.GRADE_JA_MATERIAL.match(low, end)) and not any(p in before for p in W.JA_PERSONS)


def _schools(low: str) -> list[tuple[int, str]]:
    hits = [(m.start(), "school:" + " ".join(m.group(0).split()))
            for i, pattern in enumerate(W.GRADE_EN) for m in pattern.finditer(low)
            if not _adult_follows(low, m.end())
            and not W.ADULT_BEFORE_EN.search(low, max(0, m.start() - 32), m.start())
            and not (i == 1 and _dates_material(low, m.start(), m.end()))]
    if not W.COLLEGE.search(low):
        hits.extend((m.start(), "school:" + m.group(0)) for m in W.FRESHMAN.finditer(low))
    hits.extend((m.start(), "school:" + "".join(m.group(0).split()))
                for m in W.SCHOOL_TIME_JA.finditer(low) if not _adult_follows(low, m.end()))
    hits.extend((m.start(), "school:" + "".join(m.group(0).split()))
                for m in W.SCHOOL_EVENT_JA.finditer(low))
    for m in W.GRADE_JA_LONG.finditer(low):
        grade = int(m["d"]) if m["d"] else W.KANJI_DIGITS[m["k"]]
        if grade <= W.GRADE_JA_MAX[m["s"][0]] and not _adult_follows(low, m.end()) \
                and not _ja_material(low, m.start(), m.end()):
            hits.append((m.start(), f"school:{m['s'][0]}{grade}"))
    accepted: set[str] = set()
    for m in W.GRADE_JA.finditer(low):
        grade = int(m["d"]) if m["d"] else W.KANJI_DIGITS[m["k"]]
        label = f"school:{m['s']}{grade}"
        if label in accepted:  # reported once anyway: keeps a long run of 中2 cheap
            continue
        before = low[max(0, m.start() - 8):m.start()]
        in_word = bool(_KANJI_END.search(before)) and before[-1] not in W.JA_PERSON_KANJI
        sizes = _SIZES_END.search(before)
        if grade <= W.GRADE_JA_MAX[m["s"]] and not (
                in_word or sizes or W.JA_UNITS.match(low, m.end())
                or _adult_follows(low, m.end()) or _ja_material(low, m.start(), m.end())):
            hits.append((m.start(), label))
            accepted.add(label)
    return hits


def _minor(low: str, cased: str) -> list[tuple[int, str]]:
    hits = []
    for m in W.MINOR.finditer(low):
        before = low[max(0, m.start() - _WINDOW):m.start()]
        nxt = _NEXT_WORD.match(low, m.end(), m.end() + _WINDOW)
        word = nxt.group(1) if nxt else None
        if m["s"] == "'s" or (word and _noun_kind(word) == "person"):
            pass
        elif not m["s"] and W.MINOR_DEGREE.match(low, m.end()):
            continue  # "a minor in econ": a degree
        elif m["s"] == "s":
            if _BASEBALL.search(before) or \
                    W.MINORS_NOT_PEOPLE.search(low, max(0, m.start() - 24), m.end() + 24):
                continue
        elif not (_MINOR_DET.search(before) and (word is None or word in W.FUNCTION)
                  and not (_KEY.search(cased[max(0, m.start() - 8):m.start()])
                           and (word is None or word in W.MUSIC or _TO_KEY.search(before)
                                or W.MUSIC_CONTEXT.search(
                                    low, max(0, m.start() - _WINDOW), m.end() + _WINDOW)))
                  and not _ACADEMIC.search(before)):
            continue
        hits.append((m.start(), "minor"))
    return hits


def _baby(low: str) -> list[tuple[int, str]]:
    """"baby" for a child: my/the baby (then a pause or a function word), baby girl, baby's."""
    hits = []
    for m in W.BABY.finditer(low):
        nxt = _NEXT_WORD.match(low, m.end(), m.end() + _WINDOW)
        word = nxt.group(1) if nxt else None
        owned = W.BABY_OWNER.search(low[max(0, m.start() - 16):m.start()])
        grown = W.BABY_GROWN.match(low, m.end())
        if grown and int(grown["n"]) >= 18:
            continue  # "my baby brother is 30 now"
        if m["s"] or W.BABY_NOUN.match(low, m.end()) or (
                owned and (word is None or word in W.FUNCTION)):
            hits.append((m.start(), "baby"))
    return hits


def _initial_slang(low: str, cased: str) -> list[tuple[int, str]]:
    """JS (女子小学生) and DK (男子高校生): next to Japanese text or with a grade digit."""
    hits = []
    for m in _INITIAL_SLANG.finditer(low):
        near = low[max(0, m.start() - 2):m.start()] + low[m.end():m.end() + 3]
        if (len(m.group(0)) > 2 or _JA_CHAR.search(near)) and _initialism_ok(
                low, cased, m.start(), m.end()):
            hits.append((m.start(), m.group(0)[:2]))
    return hits


# --- letters spelt out or in leetspeak: "t e e n", "m1n0r" ----------------------------------------
_CHAR = "[A-Za-z0-9@$]"
# Three or more single characters split by a space, dot or hyphen, two of them letters.
_SPACED = re.compile(rf"(?<![A-Za-z0-9@$']){_CHAR}(?:[ .\-]{{1,3}}{_CHAR}){{2,}}(?!{_CHAR})")
# A token with a digit (or @, $) between letters: "m1n0r", "t33n", "k1d"; not "14yo", "u12", "8th".
_LEET = re.compile(rf"(?<!{_CHAR})(?=[A-Za-z0-9@$]*[A-Za-z][0-9@$]+[A-Za-z]){_CHAR}+(?!{_CHAR})")
_LEET_DIGITS = set("013457@$")
_LEET_I = str.maketrans("013457@$", "oieastas")
_LEET_L = str.maketrans("013457@$", "oleastas")
# Japanese spaced out word by word or character by character: "中 学 2 年 の 娘", "じゅう よん さい"
# (three or more short pieces, one of them Japanese; Japanese text has no spaces of its own).
_JA_PIECE = "[぀-ヿ一-鿿0-9]{1,4}"
_JA_SPACED = re.compile(rf"(?<![぀-ヿ一-鿿0-9 ]){_JA_PIECE}(?: {_JA_PIECE}){{2,}}(?![぀-ヿ一-鿿0-9])")
_MAYBE_CODED = re.compile(rf"{_CHAR}[ .\-]{{1,3}}{_CHAR}[ .\-]{{1,3}}{_CHAR}(?!{_CHAR})"
                          r"|[A-Za-z][0-9@$]+[A-Za-z]"
                          r"|[぀-ヿ一-鿿] [぀-ヿ一-鿿0-9]{1,4} [぀-ヿ一-鿿0-9]")


def _decoded(cased: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """The text with spelt-out letters joined ("u n d e r a g e" -> "underage", padded with
    spaces so that every other character keeps its place) and leetspeak inside mixed tokens
    read as letters (1 as i, then as l); each reading with the stretches it changed. A run
    that starts with "a" or "i" is also read with that word apart ("a t e e n" -> "a teen").
    Digits only at a token's ends stay digits ("14yo", "u12", "8th"), and a token with 2, 6, 8
    or 9 is no leetspeak. Japanese spaced out in short pieces ("じゅう よん さい") is joined."""
    runs = [m for m in _SPACED.finditer(cased)
            if sum(c.isalpha() for c in m.group(0)) >= 2]
    ja_runs = [m for m in _JA_SPACED.finditer(cased) if _JA_CHAR.search(m.group(0))]
    if not runs and not ja_runs and not _LEET.search(cased):
        return []
    readings = [False, True] if any(
        m.group(0)[0] in "aAiI" and len(re.sub(r"[ .\-]", "", m.group(0))) >= 4 for m in runs
    ) else [False]
    out = []
    for apart in readings:
        chars = list(cased)
        spans: list[tuple[int, int]] = []
        for m in runs:
            joined = re.sub(r"[ .\-]", "", m.group(0))
            if apart and joined[0] in "aAiI" and len(joined) >= 4:
                joined = joined[0] + " " + joined[1:]
            chars[m.start():m.end()] = list(joined.ljust(len(m.group(0))))
            spans.append((m.start(), m.start() + len(joined)))
        for m in ja_runs:
            joined = m.group(0).replace(" ", "")
            chars[m.start():m.end()] = list(joined.ljust(len(m.group(0))))
            spans.append((m.start(), m.start() + len(joined)))
        text = "".join(chars)
        leet = [m for m in _LEET.finditer(text)
                if all(c in _LEET_DIGITS for c in m.group(0) if not c.isalpha())]
        spans += [(m.start(), m.end()) for m in leet]
        if not spans:
            continue
        for table in (_LEET_I, _LEET_L) if any("1" in m.group(0) for m in leet) else (_LEET_I,):
            chars = list(text)
            for m in leet:
                chars[m.start():m.end()] = list(m.group(0).translate(table))
            out.append(("".join(chars), spans))
    return out


# --- "turning 11 next month": a clause that starts with becoming an age ---------------------------
_TURNING = re.compile(
    rf"(?:^|[.!?;:,(\n]|(?<![a-z])(?:and|who|that|{W.PERSON_RE})s?\s)\s*"
    rf"(?:(?:just|finally|officially|about\s+to\s+be)\s+)?(?:turning|turned|turns)\s+{W.NUM}"
    rf"{W.AFTER_AGE}")
_AFTER_SPAN = re.compile(r"(?<![a-z])(?:since|after|from)\s+$")


def _turning(low: str, max_age: int) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    if "turn" not in low:  # a cheap first test
        return hits
    for m in _TURNING.finditer(low):
        n = _number(m)
        before = low[max(0, m.start() - 8):m.start() + 1]
        if n <= max_age and not _AFTER_SPAN.search(before) \
                and not _is_thing_age(low, m.start("n"), m.end()):
            hits.append((m.start("n"), f"age:{n}"))
    return hits


# --- native counter ages: 甥は九つになった, ななつの娘 -------------------------------------
_KANA_COUNTERS = {"ひとつ": 1, "ふたつ": 2, "みっつ": 3, "よっつ": 4, "いつつ": 5, "むっつ": 6,
                  "ななつ": 7, "やっつ": 8, "ここのつ": 9}
_COUNTER = (r"(?P<c>(?<![一二三四五六七八九十百千万〇0-9])[一二三四五六七八九]つ"
            r"|(?:(?<![ぁ-ゖー])|(?<=[はがもの]))(?:" + W.alt(_KANA_COUNTERS) + "))")
_COUNTER_END = (r"(?=\s*(?:$|[、。!?！？.,)）]|です|でした|だよ|だ(?![けっ])|に\s*な[るっりれ]|"
                r"の\s*(?:時|とき|頃|ころ|誕生日)|くらい|ぐらい))")
_JA_PERSON = "|".join(W.JA_PERSONS)
# A child named before a counter age; 子 not after a kanji (甥っ子, うちの子; not 帽子, 餃子).
_JA_CHILD = (r"(?:娘|息子|妹|弟|孫|姪|甥|長女|次女|長男|次男|女の子|男の子|ちゃん|くん|"
             r"(?<![一-鿿])子)")
_COUNTER_AGES = [
    re.compile(rf"{_JA_CHILD}{W.JA_LINK}{_COUNTER}{_COUNTER_END}"),
    re.compile(rf"{_COUNTER}\s*に\s*(?:なる|なった|なります|なりました)\s*(?:{_JA_PERSON})"),
    re.compile(rf"{_COUNTER}\s*の\s*(?:娘|息子|孫|姪|甥|女の子|男の子|誕生日)"),
]


def _counter_ages(low: str, max_age: int) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []
    if "つ" not in low:  # a cheap first test
        return hits
    for pattern in _COUNTER_AGES:
        for m in pattern.finditer(low):
            c = m["c"]
            n = W.KANJI_DIGITS[c[0]] if c.endswith("つ") and len(c) == 2 else _KANA_COUNTERS[c]
            if n <= max_age and not _is_thing_age(low, m.start("c"), m.end()):
                hits.append((m.start("c"), f"age:{n}"))
    return hits


# --- ロリっぽい子: a look that the slang names, on a person or a picture ------------------------
_LOOK_SLANG = frozenset({"ろり", "しょた"})
_LOOK_AFTER = re.compile(
    r"\s*(?:っぽ[いく]|ぽ[いく]|みたいな|みたい|風の?)\s*(?:な\s*)?(?:子|娘|女の子|男の子|女性|女|男|"
    r"人|写真|画像|自撮り|絵|いらすと|動画|体型|見た目|顔|こ(?![ぁ-ゖ]))")


def _slang_look(word: str, low: str, end: int) -> bool:
    """ロリ/ショタ before a likeness suffix and then a person or a picture (ロリっぽい子,
    ショタみたいな男の子): the slang describes the person; ロリっぽい服 stays a style."""
    return word in _LOOK_SLANG and _LOOK_AFTER.match(low, end) is not None


# --- school words about adults: at work there, or remembered by a grown-up ------------------------
_PLACE = re.compile(r"(?:school|kindergarten|preschool|daycare|pre-k|high|校|園|中学|小学)$")
_WORK_BEFORE_EN = re.compile(
    r"(?<![a-z])(?:teach(?:es|ing)?|taught|teachers?|work(?:s|ed|ing)?|employed|staff|"
    r"nurse|janitor|custodian|librarian|volunteer(?:s|ed|ing)?|principal|aide|secretary|"
    r"substitute|subbing|counsell?or)\s+(?:as\s+an?\s+[a-z]+\s+)?(?:(?:at|in|for|with)\s+)?"
    r"(?:(?:an?|the|this|that|our|my|his|her|their)\s+)?(?:local\s+|nearby\s+|public\s+)?$")
_WORK_AFTER_JA = re.compile(r"([^、。!?！？\n]{0,6}?)(?:で|に)\s*(?:働|勤め|勤務|務め|教え)")
_PAST_JA = re.compile(r"[^、。!?！？\n\sの]{0,6}(?:の\s*)?(?:時代|時(?![計間刻点])|とき|頃|ころ)")
# Before a school year or an age in the speaker's past: "when i was in", "back in", "in my";
# an age hit that starts "i was" / "we were" only needs "when" ("when i was 14").
_PAST_EN = re.compile(
    r"(?<![a-z])(?:(?:(?:back\s+)?when|while)\s+(?:i|we)\s+(?:was|were)\s+(?:in\s+)?"
    r"|back\s+in\s+|(?:during|in)\s+my\s+)(?:the\s+)?(?:like\s+)?$")
_PAST_EN_AGE = re.compile(r"(?<![a-z])(?:back\s+)?(?:when|while)\s+$")
_FIRST_PERSON_AGE = re.compile(r"(?:i|we)\s+(?:was|were)(?![a-z])")
# Someone else named: a grown-up's memory rule is only for the speaker's own school days.
_KIN = re.compile(r"娘|息子|妹|弟|孫|姪|甥|子供|子ども|こども|(?<![a-z])(?:daughters?|sons?|kids?|"
                  r"child|children|nieces?|nephews?|sisters?|brothers?|sis|bro|grand(?:son|daughter|kid|child)\w*|bab(?:y|ies)|"
                  r"step\w+|girls?|boys?)(?![a-z])")
_UNITS_EN = (r"(?!\s*(?:%|percent|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|lbs?|kg|"
             r"pounds?|miles?|km|feet|ft|inches|cm|m|k|bucks|dollars)(?![a-z]))")
_GROWN_EN = re.compile(
    rf"(?<![a-z])(?:(?:i'?m|i\s+am)\s+(?:now\s+)?(?:like\s+)?(?P<a>[0-9]{{2}})(?![0-9]){_UNITS_EN}"
    rf"|now\s+(?:i'?m\s+|i\s+am\s+)?(?:like\s+)?(?P<b>[0-9]{{2}})(?![0-9a-z%]){_UNITS_EN}"
    r"|(?P<c>[0-9]{2})\s+now(?![a-z])|in\s+my\s+[2-9]0'?s(?![a-z])"
    r"|(?P<y>[0-9]{1,2})\s+(?:years?|yrs?)\s+(?:ago|later|on)(?![a-z])"
    r"|now\s+(?:i'?m\s+)?an?\s+(?:grown|adult|mom|dad|mother|father|parent|grandma|grandpa))")
_GROWN_JA = re.compile(
    r"今\s*(?:は|では)?\s*(?:もう)?\s*(?P<j>[0-9]{2}|[二三四五六七八九]十[一二三四五六七八九]?)"
    r"\s*(?:歳|才|さい|の|です|だ|、|。|\))"
    r"|(?P<jy>[0-9]{1,2}|[一二三四五六七八九]?十[一二三四五六七八九]?)\s*年\s*(?:前|後|経|たっ|が経|ぶり)"
    r"|卒業して\s*(?P<jz>[0-9]{1,2}|[一二三四五六七八九]?十[一二三四五六七八九]?)\s*年"
    r"|今\s*(?:は|では)?\s*(?:もう)?\s*(?:社会人|大人|おとな|母親?|父親?|まま|ぱぱ|主婦|会社員|"
    r"おっさん|おばさん)|あらさー|あらふぉー|(?<![0-9])[2-9]0代")
_DEPICTION = re.compile(
    r"写真|しゃしん|画像|自撮り|じどり|動画|ぷり(?![ぁ-ゖ])"
    r"|の\s*(?:私|俺|僕|自分|わたし|あたし|おれ|ぼく)(?![ぁ-ゖ一-鿿])"
    r"|(?<![a-z])(?:pics?|photos?|pictures?|selfies?|snaps?|videos?|vids?|clips?|footage|"
    r"throwback|tbt|me\s+(?:in|at|when|back)|this\s+is\s+me|that'?s\s+me|here'?s\s+me|"
    r"colou?ri[sz]\w*|restor\w*|scan(?:ned|s)?|yearbook)(?![a-z])|卒あるばむ|卒ある|あるばむ")


def _ja_value(text: str) -> int:
    if text.isdigit():
        return int(text)
    tens, _, ones = text.rpartition("十")
    return W.KANJI_DIGITS.get(ones, 0) + 10 * W.KANJI_DIGITS.get(tens, 1)


def _grown_up(low: str, max_age: int) -> bool:
    """The message says someone is an adult now ("now im 30", "今は35歳", "20 years ago"),
    shows no picture of then (写真, "pic", "me in ...", 中学の頃の俺) and names no child or
    sibling (whose age the adult's may not be)."""
    if _DEPICTION.search(low) or _KIN.search(low):
        return False
    for m in _GROWN_EN.finditer(low):
        age = m["a"] or m["b"] or m["c"]
        if (age and int(age) > max_age) or (m["y"] and int(m["y"]) >= 10) or not (
                age or m["y"]):
            return True
    for m in _GROWN_JA.finditer(low):
        if m["j"]:
            if _ja_value(m["j"]) > max_age:
                return True
        elif m["jy"] or m["jz"]:
            if _ja_value(m["jy"] or m["jz"]) >= 10:
                return True
        else:
            return True
    return False


_CLAUSE_END = re.compile(r"[.!?\n。！？,;、，]")
_PRESENT = re.compile(r"(?<![a-z])(?:is|are|am|now|currently|today)(?![a-z])"
                      r"|[a-z]'(?:s|re|m)(?![a-z])|今|現在")


def _long_ago(low: str, start: int, label: str, max_age: int) -> bool:
    """A cue dated by a calendar year in its clause so long ago that whoever it names is an adult
    now ("the 7th grade science fair in 1998", "she was 14 in 2001"), in a past-tense clause
    (not "she is 14, ...") of a message with no picture of then. A birth year ("born in 2014")
    dates nobody's past."""
    if "19" not in low and "20" not in low:  # a cheap first test
        return False
    head = _CLAUSE_END.split(low[max(0, start - _WINDOW):start])[-1]
    tail = _CLAUSE_END.split(low[start:start + _WINDOW])[0]
    s_from = start - len(head)
    if _PRESENT.search(head + tail):
        return False
    years = [int(m["y"]) for m in W.CALENDAR_YEAR.finditer(low, s_from, start + len(tail))
             if not W.BORN_BEFORE.search(low, max(0, m.start() - 16), m.start())]
    if not years or label.startswith("age:born") or _DEPICTION.search(low):
        return False
    age = int(label[4:]) if label.startswith("age:") and label[4:].isdigit() else 0
    return age + date.today().year - max(years) > max_age


def _adult_school(low: str, start: int, label: str, grown: Callable[[], bool]) -> bool:
    """A school cue about an adult: someone who works there ("a teacher at an elementary
    school", "I teach 4th grade", 幼稚園で働いています), or a grown-up's memory of then ("when i
    was in 8th grade ..., now im 30", 高1の時の思い出（今は35歳）)."""
    school = label.startswith("school:") or bool(W.SCHOOL_WORD.search(label))
    if school and (label.startswith("school:") or _PLACE.search(label)):
        if _WORK_BEFORE_EN.search(low, max(0, start - 40), start):
            return True
        work = _WORK_AFTER_JA.match(low, start + (0 if label.startswith("school:") else len(label)))
        if work and not any(p in work.group(1) for p in W.JA_PERSONS):
            return True
    if not (school or label.startswith("age:")):
        return False
    if school and W.MEMORY_JA.match(low, start) and not (
            _DEPICTION.search(low) or _KIN.search(low)):
        return True  # 小学生の頃の夢: a memory of then, not a picture
    before = max(0, start - 32)
    past = _PAST_JA.match(low, start) or _PAST_EN.search(low, before, start) or (
        _FIRST_PERSON_AGE.match(low, start) and _PAST_EN_AGE.search(low, before, start))
    return bool(past) and grown()


_PARTICLES = frozenset("がはのをにでともへ")
_ADULT_THING_BEFORE = re.compile(r"大人(?:用|向け)?$")  # 大人ランドセル: a product for adults


def _particle_start(script: str | None, start: int, end: int) -> bool:
    """A kana cue written in hiragana that starts with a particle right after a kanji and runs on
    into more hiragana: the particle and the next word (色がきれい), not the word (悪ガキども)."""
    if script is None or start == 0 or end >= len(script):
        return False
    span = script[start:end]
    return (span[0] in _PARTICLES and re.fullmatch(r"[ぁ-ゖ]+", span) is not None
            and _KANJI_END.search(script[start - 1]) is not None and "ぁ" <= script[end] <= "ゖ")


def _school_place(low: str, core: str, start: int, end: int) -> bool:
    """"the old middle school building": a school token before the place or the body, with no
    pupil named just before ("my son's middle school building" still names one)."""
    if not ((W.SCHOOL_WORD.search(core) or core == "daycare")
            and W.SCHOOL_PLACE_AFTER.match(low, end)):
        return False
    return not any(_noun_kind(w) == "person"
                   for w in _LATIN_WORD.findall(low, max(0, start - 24), start)[-3:])


def _list_hits(low: str, cased: str, words: re.Pattern[str] | None,
               tokens: re.Pattern[str] | None, script: str | None = None
               ) -> list[tuple[int, str]]:
    """The policy's words and tokens, with the filters the docstring lists."""
    hits: list[tuple[int, str]] = []
    if words is not None:
        hits.extend((m.start(), m.group(0)) for m in words.finditer(low)
                    if not (W.SCHOOL_WORD.search(m.group(0)) and _adult_follows(low, m.end())
                            and not child_owner_before(low, m.start()))
                    and not _ADULT_THING_BEFORE.search(low, max(0, m.start() - 4), m.start())
                    and not (W.SCHOOL_WORD.search(m.group(0)) and W.ANIMAL_SCHOOL_BEFORE.search(
                        low, max(0, m.start() - 12), m.start()))
                    and not (_compound(low, m.end()) and not _slang_look(m.group(0), low, m.end()))
                    and not W.JA_LIKE_ADULT.match(low, m.end())
                    and not _particle_start(script, m.start(), m.end()))
    if tokens is not None:
        accepted: set[str] = set()
        for m in tokens.finditer(low):
            core = m.group(1)
            if core in accepted:  # reported once anyway
                continue
            if _INITIALISM.fullmatch(core.rstrip("123456")) and not _initialism_ok(
                    low, cased, m.start(), m.end()):
                continue
            if (core == "jk" and _joking(low, m.start(), m.end())) or (
                    W.SCHOOL_WORD.search(core) and _adult_follows(low, m.end())
                    and not child_owner_before(low, m.start())):
                continue
            if _in_title(cased, m.start(), m.end()) or _school_place(low, core, m.start(), m.end()):
                continue
            if (W.SCHOOL_WORD.search(core) or core in ("daycare", "pre-k")) and \
                    W.ANIMAL_SCHOOL_BEFORE.search(low, max(0, m.start() - 12), m.start()):
                continue  # "doggy daycare", "puppy kindergarten"
            if W.LIKENED_BEFORE.search(low, max(0, m.start() - 40), m.start()):
                continue  # "like a kid in a candy store": a likeness
            if W.EN_NOT_PERSON_AFTER.match(low, m.end()) and not W.POSSESSIVE_BEFORE.search(
                    low, max(0, m.start() - 16), m.start()):
                continue
            hits.append((m.start(), " ".join(core.split())))
            accepted.add(core)
    return hits


def _hits(cased: str, low: str, cues: CueList, script: str | None = None
          ) -> list[tuple[int, str]]:
    """Every rule's hits on one normalised text: (start, label); ``script`` is the text before
    katakana was folded, where known."""
    words, tokens, benign = _patterns(tuple(cues.words), tuple(cues.tokens), tuple(cues.benign))
    if benign is not None:
        low = benign.sub(lambda m: " " * len(m.group(0)), low)
    hits = _list_hits(low, cased, words, tokens, script)
    hits += _ages(low, cues.max_minor_age) + _schools(low) + _minor(low, cased) + _baby(low)
    hits += _initial_slang(low, cased) + _turning(low, cues.max_minor_age)
    hits += _counter_ages(low, cues.max_minor_age)
    hits += milestone_hits(low, script, cues.max_minor_age)
    hits += life_stage_hits(low, cues.max_minor_age)
    hits.extend((m.start(), "幼い") for m in W.OSANAI.finditer(low))
    hits.extend((m.start(), "teen") for m in W.TEEN_JA.finditer(low)
                if not _compound(low, m.end()) and not W.JA_LIKE_ADULT.match(low, m.end()))
    grown = lru_cache(maxsize=1)(lambda: _grown_up(low, cues.max_minor_age))
    then = lru_cache(maxsize=1)(lambda: bool(_DEPICTION.search(low) or _KIN.search(low)))
    return [hit for hit in hits if not _adult_school(low, *hit, grown)
            and not _long_ago(low, *hit, cues.max_minor_age) and not not_now(low, *hit)
            and not (past_memory(low, *hit) and not then())]


@lru_cache(maxsize=8)
def _lexicon(tokens: tuple[str, ...]) -> Lexicon:
    """Known words for ``rejoined``: English, the grammar's vocabulary, the cue tokens."""
    vocabulary = (W.PERSONS | W.THINGS | W.FUNCTION | W.CHAT | W.MUSIC | W.JK_NOUN_BEFORE
                  | W.words(W.AFTER_AGE_WORDS) | set(W.NUMBER_WORDS) | set(W.ORDINALS))
    pieces = {p for t in tokens for p in re.split(r"[\s\-]+", normalise(t)) if p}
    whole = {t.replace(" ", "") for t in map(normalise, tokens)}
    # Words the matcher reads as cues or guards: a split one is joined beside other split words
    # even from two known words, where one is uncommon ("min or" -> minor, "ol ds" -> olds).
    cue_words = W.PERSONS | W.words(W.AFTER_AGE_WORDS) | whole | {"minor"}
    return Lexicon(vocabulary | pieces | whole, cue_words)


def find_minor_cues(text: str, cues: CueList) -> list[str]:
    """The cues found in ``text``, in order of appearance, each once.

    List cues are reported normalised as matched; the grammar's as ``age:<n>``,
    ``age:under 18``, ``age:born <year>``, ``school:<text>``, ``minor``, ``baby``, ``幼い``,
    ``teen``, ``js`` and ``dk``. Text spelt out letter by letter ("t e e n"), in leetspeak
    ("m1n0r") or Japanese spaced out ("中 学 2 年") is read a second time decoded (``_decoded``);
    only hits in a decoded stretch are added.
    """
    if not text:
        return []
    script = _folded(nbsp_joined(text, _lexicon(tuple(cues.tokens))))
    cased = jaconv.kata2hira(script)
    low = _lower(cased)
    hits = _hits(cased, low, cues, script if len(script) == len(cased) else None)
    again = rejoined(cased, low, _lexicon(tuple(cues.tokens))) if len(low) == len(cased) else None
    if again:  # split words read whole: that reading wins around what it joined
        plain, spans = again
        near = [(s - _WINDOW, e + _WINDOW) for s, e in spans]
        hits = [hit for hit in hits if not any(s <= hit[0] < e for s, e in near)]
        hits.extend(hit for hit in _hits(plain, _lower(plain), cues)
                    if any(s <= hit[0] < e for s, e in near))
    readings = _decoded(cased) if _MAYBE_CODED.search(cased) else []  # a cheap first test
    for plain, spans in readings:
        hits.extend(hit for hit in _hits(plain, _lower(plain), cues)
                    if any(s - 16 <= hit[0] < e for s, e in spans))
    found: list[str] = []
    starts: set[int] = set()
    for start, label in sorted(hits, key=lambda hit: (hit[0], -len(hit[1]))):
        if label not in found and start not in starts:  # overlapping rules: the longest reading
            found.append(label)
            starts.add(start)
    return found
