"""Minor cues in message text, Japanese and English: the policy's cue lists plus a small grammar.

docs/policy.md ("Minor cues") documents both. In short, text and lists are normalised alike
(``normalise``: invisible characters and chat markup dropped, NFKC, dashes to ``-``, katakana to
hiragana, lower case); then

- ``words`` match as substrings (a kana-only word not before a long vowel う/ー, and, when
  shorter than 4 kana, not after kana: ロリ is not in カロリー); ``tokens`` as whole tokens with
  ``s``/``'s``, inner spaces or hyphens matching any or none; an initialism (jk, jc) not before
  a capitalised name or a technical word; ``benign`` phrases are masked first;
- the grammar adds school years (``school:<text>``: 小6, 中2, 高1, 中学2年, "8th grader",
  "in grade 9", "sophomore in high school"), ages of people up to ``max_minor_age``
  (``age:<n>``: "14歳", "十四歳", "13-year-old", "aged 13", "she's only 13", "my son (11)"),
  never ages of things ("15-year-old laptop", "愛犬は15歳") or range floors ("ages 8+"),
  ``minor`` for a person only ("she's a minor", "minors", never "a minor bug", "C minor") and
  ``js`` next to Japanese text only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

import jaconv


class CueList(Protocol):
    """What ``find_minor_cues`` needs (``config.policy.MinorCues`` fits)."""

    words: tuple[str, ...]
    tokens: tuple[str, ...]
    benign: tuple[str, ...]
    max_minor_age: int


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The grammar's vocabulary. Plural "s" is stripped before lookup.
_PERSONS = _words(
    "girl boy kid child children daughter son sister brother niece nephew cousin student pupil "
    "model friend classmate girlfriend boyfriend gf bf baby grandson granddaughter stepdaughter "
    "stepson sis bro me myself person people teen teenager twin actress actor player gymnast "
    "singer idol dancer lad lass toddler victim she he her him who"
)
_THINGS = _words(
    "laptop computer pc mac phone iphone tablet car truck van bike motorcycle boat house home "
    "building apartment flat bridge church tree oak pine plant bonsai whisky whiskey scotch "
    "bourbon rum wine port brandy cognac sake cheese beer bottle cask barrel dog puppy cat kitten "
    "horse pony pet bird parrot fish turtle tortoise hamster rabbit company business startup "
    "firm brand account server database codebase repo project software game console camera "
    "guitar piano violin watch jeans jacket shoe sofa couch mattress furniture painting song "
    "album book movie film show series meme website site app tradition recipe tyre tire engine "
    "battery roof boiler fridge tv monitor keyboard printer router coin stamp vine machine"
)
_JA_PERSONS = ("娘", "息子", "妹", "弟", "姉", "兄", "姪", "甥", "孫", "女の子", "男の子", "子",
               "彼女", "彼", "長女", "次女", "長男", "次男", "いとこ", "私", "僕", "俺")
_JA_ANIMALS = re.compile("犬|猫|ねこ|いぬ|ぺっと|馬|うさぎ|兎|鳥|いんこ|亀|かめ|はむすたー|金魚|魚|"
                         "わんこ|にゃんこ|木")
_TECH = re.compile(
    r"(?:flip|flop|ff|latch|bundle|files?|code|script|framework|librar(?:y|ies)|lib|modules?|"
    r"functions?|api|sdk|runtime|engine|console|errors?|bugs?|build|dev|frontend|backend|"
    r"packages?|tests?|plugins?|components?|class|objects?|arrays?|json|node|react|vue|version)"
    r"(?![a-z])|ふりっぷ|ふろっぷ|ふぁいる|ばんどる|こーど|らいぶらり|ふれーむわーく|もじゅーる|"
    r"えらー|関数|変数|実装|回路|ばぐ|びるど|ぱっけーじ|てすと|ぷらぐいん|書"
)
_JA_UNITS = re.compile(
    r"[0-9.,:/\-]|時|階|日|個|枚|本|杯|つ|回|週|号|分|秒|件|人|点|匹|台|冊|着|足|箱|袋|皿|口|切|粒|"
    r"円|万|千|百|年|度|倍|位|番|列|行|歩|条|段|面|問|部|巻|話|章|曲|名|割|泊|戦|勝|敗|合|錠|"
    r"か月|ヶ|ゖ|け月|[a-z%]"
)
_NUMBER_WORDS = {w: i for i, w in enumerate(re.findall(r"\w+", """zero one two three four
    five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty"""))}
_ORDINALS = {w: i for i, w in enumerate(re.findall(r"\w+", """zeroth first second third fourth
    fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth
    sixteenth seventeenth"""))}
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}

_NUM = (r"(?P<n>(?<![0-9.,$€£¥#])[0-9]{1,3}(?![0-9])|(?<![a-z-])(?:"
        + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?![a-z]))")
_ORD = (r"(?P<n>(?<![0-9])[0-9]{1,2})(?:st|nd|rd|th)|(?<![a-z])(?P<w>"
        + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")")
_GRADE_ORD = (r"(?<![0-9])(?:[1-9]|1[0-2])(?:st|nd|rd|th)|(?<![a-z])(?:"
              + "|".join(list(_ORDINALS)[1:13]) + r")")
_AFTER_AGE = (r"(?=\s*(?:$|[.!?,;:)\]」』、。！？]|[぀-ヿ一-鿿]|(?:and|but|so|now|already|too|yet|"
              r"though|tho|in|at|here|there|lol|lmao|haha|btw|rn|years?|yrs?|yo|y/o|this|right|"
              r"with|or|tops|max|when|back|then|today|tomorrow|yesterday|last|next|&)(?![a-z])))")
_JA_AFTER = r"(?=\s*(?:$|[、。!?！？.,)）]|です|だ|で|歳|才|さい|の|って|くらい|ぐらい))"
_PERSON_RE = "|".join(sorted(_PERSONS, key=len, reverse=True))
_SUBJECT = (r"(?<![a-z])(?:i\s*'?m|i\s+(?:am|was)|(?:she|he)\s*'?s|(?:they|we|you)\s*'?re|u\s+r|"
            rf"(?:she|he|they|we|you|u|(?:{_PERSON_RE})s?)\s+(?:is|was|are|were|turned|turns|"
            rf"just\s+turned)|(?:{_PERSON_RE})\s*'s)")
_ADVERB = r"(?:\s+(?:only|just|barely|like|about|around|almost|nearly|still))?"
_FLOOR = re.compile(r"\s*(?:\+|and\s+(?:up|over|older|above)|or\s+(?:older|over|above)|以上)")

_AGE_EN = [  # (pattern, check things?)
    (re.compile(rf"{_NUM}\s*(?:-?\s*(?:years?|yrs?)\s*-?\s*olds?(?![a-z])|(?:yo|y/o|y\.o\.?)"
                r"(?![a-z])|years?\s+of\s+age)"), True),
    (re.compile(rf"(?<![a-z])aged?\s*[:=\-]?\s*{_NUM}(?!\s*(?:months?|mos?|weeks?|wks?|days?|"
                r"hours?|minutes?)(?![a-z]))"), True),
    (re.compile(rf"{_SUBJECT}{_ADVERB}\s+{_NUM}{_AFTER_AGE}"), False),
    (re.compile(rf"(?<![a-z])(?:only|just)\s+{_NUM}(?=\s*(?:$|[.!?)]))"), False),
    (re.compile(rf"(?<![a-z])(?:{_PERSON_RE})s?\s*[(\[,]\s*{_NUM}\s*(?:[)\],.!?]|$)"), False),
    (re.compile(rf"(?<![a-z])(?:girl|boy|child|kid|daughter|son|lad|lass)\s+of\s+{_NUM}"
                rf"{_AFTER_AGE}"), False),
]
_BIRTHDAY = re.compile(rf"(?:{_ORD})\s+birthday")
_KANJI_NUM = (r"(?P<k>(?<![〇一二三四五六七八九十百千万])(?:[一二三四五六七八九]?十"
              r"[一二三四五六七八九]?|[一二三四五六七八九]))")
_AGE_JA = [
    re.compile(rf"(?:{_NUM}|{_KANJI_NUM})\s*(?:歳|才|さい)"),
    re.compile(rf"年齢\s*[:は=\-]?\s*{_NUM}"),
    re.compile(rf"まだ\s*{_NUM}{_JA_AFTER}"),
    re.compile(rf"(?:{'|'.join(_JA_PERSONS)})\s*(?:は|が|も|って)?\s*[(（]?\s*{_NUM}\s*[)）]?"
               rf"{_JA_AFTER}"),
]

_GRADE_EN = [
    re.compile(rf"(?:{_GRADE_ORD})[\s-]*grade(?:rs?)?(?![a-z])"),
    re.compile(r"(?<![a-z])in\s+grade\s*(?:[1-9]|1[0-2])(?![0-9.])"),
    re.compile(r"(?<![a-z])(?:grade|year)\s*(?:[1-9]|1[0-3])\s+(?:students?|pupils?|girls?|boys?"
               r"|kids?|class(?:mates?)?)(?![a-z])"),
    re.compile(r"(?<![a-z])(?:high[\s-]*school|hs)\s+(?:freshm[ae]n|sophomores?|juniors?|"
               r"seniors?)(?![a-z])|(?<![a-z])(?:freshm[ae]n|sophomores?|juniors?|seniors?)\s+"
               r"(?:in|at|of)\s+(?:high[\s-]*school|hs)(?![a-z])"),
]
_FRESHMAN = re.compile(r"(?<![a-z])(?:freshm[ae]n|sophomores?)(?![a-z])(?!\s+(?:albums?|records?|"
                       r"ep|lp|novels?|books?|films?|movies?|seasons?|slump|effort|single|release|"
                       r"campaign|term|tour|collection|senator|congress\w*|representative)\b)")
_COLLEGE = re.compile(r"(?<![a-z])(?:college|university|uni|campus|dorm|undergrad\w*|senator)"
                      r"(?![a-z])")
_GRADE_JA_LONG = re.compile(r"(?P<s>小学校?|中学校?|高校)\s*(?:(?P<d>[1-6])(?![0-9])|"
                            r"(?P<k>[一二三四五六]))\s*年")
_GRADE_JA = re.compile(r"(?P<s>[小中高])(?:(?P<d>[1-6])(?![0-9])|(?P<k>[一二三四五六]))")
_GRADE_JA_MAX = {"小": 6, "中": 3, "高": 3}
_JA_PERSON_KANJI = set("女子男娘妹弟姉兄姪甥孫")
_MINOR = re.compile(r"(?<![a-z])minor(?P<s>s|'s)?(?![a-z])")
_WINDOW = 48  # characters looked at around a match (keeps long messages linear)
_ACADEMIC = re.compile(r"(?:have|has|had|got|get|getting|doing|earned|earning|completed|declared|"
                       r"declaring|pursuing)\s+a\s+$")
_KEY = re.compile(r"(?:(?:in|of)\s+|^|[^A-Za-z'])A\s+$")  # "A minor", "in A minor": the key
_MUSIC = _words("scale scales chord chords key sonata concerto symphony prelude etude fugue triad "
                "arpeggio progression pentatonic mode")
_MINOR_DET = re.compile(r"(?:^|[^a-z])(?:a|an|the|this|that|any|another|every|each|no|one)\s+$"
                        r"|(?:^|[.!?:;(\n])\s*$")  # an article, or the start of a sentence
_FUNCTION = _words(
    "in at on with and or who whom whose that is was are were be been being from for here there "
    "to by under without nor but so if when while during has had have can could should would "
    "must may might will shall does did do involved present shown pictured depicted alone now "
    "then too either lol btw ok okay though"
)
_JS = re.compile(r"(?<![a-z])js(?:[1-6](?![0-9]))?(?![a-z0-9])")
_INITIALISM = re.compile(r"[b-df-hj-np-tv-z]{2,3}")  # jk, jc: no vowel
_JA_CHAR = re.compile(r"[぀-ヿ一-鿿]")
_INVISIBLE_EXTRA = {0x034F, 0x115F, 0x1160, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0}
_FOLD = str.maketrans({**{c: None for c in "*_~`|"}, **{c: "-" for c in "‐‑‒–—―−"},
                       "’": "'", "‘": "'"})


def _visible(text: str) -> str:
    return "".join(
        ch for ch in text
        if unicodedata.category(ch) != "Cf" and ord(ch) not in _INVISIBLE_EXTRA
        and not 0xFE00 <= ord(ch) <= 0xFE0F and not 0xE0100 <= ord(ch) <= 0xE01EF
    )


def _clean(text: str) -> str:
    """Normalised text, case kept (initialism filters look at capitals)."""
    nfkc = _visible(unicodedata.normalize("NFKC", _visible(text)))
    return jaconv.kata2hira(nfkc.translate(_FOLD))


def _lower(text: str) -> str:
    # Per character, so the lowered text stays aligned with the cased one.
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
        value = _KANJI_DIGITS.get(ones, 0)
        return value + (10 * (_KANJI_DIGITS.get(tens, 1)) if "十" in groups["k"] else 0)
    if groups.get("w"):
        return _ORDINALS[groups["w"]]
    raw = groups["n"]
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _noun_kind(word: str) -> str | None:
    for w in (word, word.removesuffix("'s"), word.removesuffix("s"), word.removesuffix("es")):
        if w in _PERSONS:
            return "person"
        if w in _THINGS:
            return "thing"
    return None


def _is_thing_age(low: str, start: int, end: int) -> bool:
    """The nearest listed noun after (two words) or before (four words) is a thing."""
    if _FLOOR.match(low, end):
        return True
    for word in re.findall(r"[a-z']+", low[end:end + _WINDOW])[:2]:
        kind = _noun_kind(word)
        if kind:
            return kind == "thing"
    for word in reversed(re.findall(r"[a-z']+", low[max(0, start - _WINDOW):start])[-4:]):
        kind = _noun_kind(word)
        if kind:
            return kind == "thing"
    before = low[max(0, start - 6):start]
    animal = max((m.end() for m in _JA_ANIMALS.finditer(before)), default=-1)
    person = max((before.rfind(p) + len(p) for p in _JA_PERSONS if p in before), default=-1)
    return animal > person


def _initialism_ok(low: str, cased: str, start: int, end: int) -> bool:
    """jk/jc/js: not before a capitalised name or a technical word."""
    if re.match(r"\s+[A-Z][a-z]", cased[end:]):
        return False
    return not _TECH.match(re.sub(r"^[\s\-]*(?:[のでをはがもに]\s*)?", "", low[end:end + 12]))


def _ages(low: str, max_age: int) -> list[tuple[int, str]]:
    hits = []
    patterns = [*_AGE_EN, *((p, i == 0) for i, p in enumerate(_AGE_JA)), (_BIRTHDAY, False)]
    for pattern, things in patterns:
        for m in pattern.finditer(low):
            n = _number(m)
            if n <= max_age and not (things and _is_thing_age(low, m.start(), m.end())):
                hits.append((m.start(), f"age:{n}"))
    return hits


def _schools(low: str) -> list[tuple[int, str]]:
    hits = [(m.start(), "school:" + " ".join(m.group(0).split()))
            for pattern in _GRADE_EN for m in pattern.finditer(low)]
    if not _COLLEGE.search(low):
        hits.extend((m.start(), "school:" + m.group(0)) for m in _FRESHMAN.finditer(low))
    for m in _GRADE_JA_LONG.finditer(low):
        grade = int(m["d"]) if m["d"] else _KANJI_DIGITS[m["k"]]
        if grade <= _GRADE_JA_MAX[m["s"][0]]:
            hits.append((m.start(), f"school:{m['s'][0]}{grade}"))
    for m in _GRADE_JA.finditer(low):
        grade = int(m["d"]) if m["d"] else _KANJI_DIGITS[m["k"]]
        before = low[max(0, m.start() - 8):m.start()]
        in_word = bool(re.search(r"[一-鿿]$", before)) and before[-1] not in _JA_PERSON_KANJI
        sizes = re.search(r"大[0-9一-九][\s、,・/]*(?:中[0-9一-九][\s、,・/]*)?$", before)
        if grade <= _GRADE_JA_MAX[m["s"]] and not (
                in_word or sizes or _JA_UNITS.match(low, m.end())):
            hits.append((m.start(), f"school:{m['s']}{grade}"))
    return hits


def _minor(low: str, cased: str) -> list[tuple[int, str]]:
    hits = []
    for m in _MINOR.finditer(low):
        before = low[max(0, m.start() - _WINDOW):m.start()]
        nxt = re.match(r"\s*([a-z']+)?", low[m.end():m.end() + _WINDOW])
        word = nxt.group(1) if nxt else None
        if m["s"] == "'s" or (word and _noun_kind(word) == "person"):
            pass
        elif m["s"] == "s":
            if re.search(r"(?:(?:to|in|from|of|into)\s+the|majors\s+and)\s+$", before):
                continue
        elif not (_MINOR_DET.search(before) and (word is None or word in _FUNCTION)
                  and not (_KEY.search(cased[max(0, m.start() - 8):m.start()])
                           and (word is None or word in _MUSIC))
                  and not _ACADEMIC.search(before)):
            continue
        hits.append((m.start(), "minor"))
    return hits


def _js(low: str, cased: str) -> list[tuple[int, str]]:
    hits = []
    for m in _JS.finditer(low):
        near = low[max(0, m.start() - 2):m.start()] + low[m.end():m.end() + 3]
        if (m.group(0) != "js" or _JA_CHAR.search(near)) and _initialism_ok(
                low, cased, m.start(), m.end()):
            hits.append((m.start(), "js"))
    return hits


def find_minor_cues(text: str, cues: CueList) -> list[str]:
    """The cues found in ``text``, in order of appearance, each once.

    List cues are reported normalised as matched; the grammar's as ``age:<n>``,
    ``school:<text>``, ``minor`` and ``js``.
    """
    if not text:
        return []
    cased = _clean(text)
    low = _lower(cased)
    words, tokens, benign = _patterns(tuple(cues.words), tuple(cues.tokens), tuple(cues.benign))
    if benign is not None:
        low = benign.sub(lambda m: " " * len(m.group(0)), low)
    hits: list[tuple[int, str]] = []
    if words is not None:
        hits.extend((m.start(), m.group(0)) for m in words.finditer(low))
    if tokens is not None:
        for m in tokens.finditer(low):
            core = m.group(1)
            if _INITIALISM.fullmatch(core.rstrip("123456")) and not _initialism_ok(
                    low, cased, m.start(), m.end()):
                continue
            hits.append((m.start(), re.sub(r"\s+", " ", core)))
    hits += _ages(low, cues.max_minor_age) + _schools(low) + _minor(low, cased) + _js(low, cased)
    found: list[str] = []
    starts: set[int] = set()
    for start, label in sorted(hits, key=lambda hit: (hit[0], -len(hit[1]))):
        if label not in found and start not in starts:  # overlapping rules: the longest reading
            found.append(label)
            starts.add(start)
    return found
