"""Minor cues in message text, Japanese and English.

Text and cue lists are normalised the same way: NFKC (full-width Latin and digits to ASCII,
half-width katakana to full-width), katakana folded to hiragana (jaconv), lower case. Then:

- ``words`` (Japanese) match as substrings, except that a kana-only cue must not continue a kana
  word on its left (ロリ must not fire inside カロリー);
- ``tokens`` (Latin) match only as whole tokens: no ASCII letter or digit on either side, so "jk"
  fires in "JKの写真" but not in "jacket" or "JCB card";
- an age up to the cue list's ``max_minor_age`` written as "14歳", "１４さい", "15yo",
  "14 year old", "13-year-old" fires; "2015 year" and "25歳" do not;
- ``benign`` phrases are masked before matching (ロリポップ).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

import jaconv

_AGE = re.compile(
    r"(?<![0-9.,])([0-9]{1,3})\s*"
    r"(?:歳|才|さい|yo\b|y/o\b|y\.o\.|yrs?\s*old\b|-?\s*years?\s*-?\s*old\b)"
)
_KANA = re.compile(r"^[ぁ-ゖー]+$")
_KANA_CHAR = "ぁ-ゖー"


class CueList(Protocol):
    """What ``find_minor_cues`` needs (``config.policy.MinorCues`` fits)."""

    words: tuple[str, ...]
    tokens: tuple[str, ...]
    benign: tuple[str, ...]
    max_minor_age: int


def normalise(text: str) -> str:
    """NFKC, katakana to hiragana, lower case."""
    return jaconv.kata2hira(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=32)
def _patterns(
    words: tuple[str, ...], tokens: tuple[str, ...], benign: tuple[str, ...]
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
    # Cached per cue list (an immutable tuple), so compiling happens once per policy.
    word_parts = []
    for word in sorted({normalise(w) for w in words if w.strip()}, key=len, reverse=True):
        escaped = re.escape(word)
        word_parts.append(f"(?<![{_KANA_CHAR}]){escaped}" if _KANA.match(word) else escaped)
    token_parts = [
        r"\s+".join(re.escape(part) for part in normalise(tok).split())
        for tok in sorted({t for t in tokens if t.strip()}, key=len, reverse=True)
    ]
    benign_parts = [re.escape(normalise(b)) for b in benign if b.strip()]
    return (
        re.compile("|".join(word_parts)) if word_parts else None,
        re.compile(r"(?<![a-z0-9])(?:" + "|".join(token_parts) + r")(?![a-z0-9])")
        if token_parts
        else None,
        re.compile("|".join(benign_parts)) if benign_parts else None,
    )


def find_minor_cues(text: str, cues: CueList) -> list[str]:
    """The cues found in ``text``, normalised, in order of appearance, each once.

    Ages are reported as ``age:<n>``.
    """
    if not text:
        return []
    norm = normalise(text)
    words, tokens, benign = _patterns(tuple(cues.words), tuple(cues.tokens), tuple(cues.benign))
    if benign is not None:
        norm = benign.sub(lambda m: " " * len(m.group(0)), norm)
    hits: list[tuple[int, str]] = []
    for pattern in (words, tokens):
        if pattern is not None:
            hits.extend(
                (m.start(), re.sub(r"\s+", " ", m.group(0))) for m in pattern.finditer(norm)
            )
    for m in _AGE.finditer(norm):
        if int(m.group(1)) <= cues.max_minor_age:
            hits.append((m.start(), f"age:{int(m.group(1))}"))
    found: list[str] = []
    for _, label in sorted(hits):
        if label not in found:
            found.append(label)
    return found
