"""Words split by a space or a no-break space, read whole: "mi nor", "und erage", "th ek id".

``nbsp_joined`` runs first, on the raw text: people do not type a no-break space between two
words, so one inside a token (letters or digits on both sides) is read away ("min\u00a0or" ->
"minor", "女\u00a0子中2" -> "女子中2"), unless both pieces are known words and what they make
is none, or one of them is a word of one letter (a no-break space typed for a space, as
macOS's Option-Space does: "a\u00a0minor", "I shot\u00a0a video" stay). NFKC then makes every
other no-break space a plain one. ``rejoined`` gives the text a second reading (``safety.cues``
adds only the cues found in what it changed):

- Latin: around a word that is no English word, the words split by single spaces are read
  again as known words with their spaces moved, where that costs fewer edits than leaving the
  unknown word (``_resegment``): "mi nor" -> "minor", "kid s" -> "kids", "th ek id" -> "the
  kid". Known words are the English lexicon that symspellpy ships (82,765 words of Google Books
  n-grams that SCOWL's spelling lists also hold) and the matcher's own vocabulary and chat
  words. Guards: two known words are never joined on their own ("wait a min or two" is not "a
  minor", "I shot a video" is no "shota"); beside split words, only into a far likelier word
  ("fir st") or into one of the matcher's own cue words when one part is no common word and
  neither is a word of one letter ("a min or an d" -> minor; "lol I" is no "loli"); a
  capitalised word inside a sentence is a name, not a piece ("neither Mi nor Jun"), unless an
  unknown word in lower case follows that makes a known word with it ("Bar Mitz vah").
  One number split between its digits, with a letter or two on it, is read whole ("U1 0" ->
  "U10", "1 5F"); bare digits may be two numbers ("bus 1 5") and stay.
- Japanese, which has no spaces of its own: single spaces between Japanese characters are read
  away ("中学 生の娘" -> "中学生の娘").

Every changed stretch keeps its letters' case and is padded with spaces to its old length, so
positions keep their meaning; the padding goes before it where a space or a sign comes before
it, so that what follows stays attached ("y/o", "中2").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

_TOKEN = re.compile(r"'?[a-z0-9]+(?:'[a-z]*)?")
# 14, 7th, 90s, 16yo: known, never letters
_NUMBER = re.compile(r"[0-9]+(?:st|nd|rd|th|s|yo|yos|yrs?)?")
_JA = "぀-ヿ一-鿿々〆"
_JA_SPLIT = re.compile(rf"[{_JA}]+(?: [{_JA}]+)+")
_SPLIT_NUMBER = re.compile(r"[a-z]{0,2}[0-9]{2,3}[a-z]{0,2}")
_LONGEST = 24  # letters in the longest word a window may make
_SENTENCE_END = re.compile(r"(?:^|[.!?\n:;\"(])\s*$")
_NBSP = "\u00a0\u202f\u2007"  # no-break, narrow no-break and figure spaces
_PIECE = r"(?:[^\W_]|['’](?=[^\W_]))+"  # letters and digits, an apostrophe inside ("he's")
_NBSP_SPLIT = re.compile(rf"['’]?{_PIECE}(?:[{_NBSP}](?:['’]?{_PIECE}|['’](?![^\W_])))+")


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, int]:
    """English words and their counts: symspellpy's frequency dictionary (read as data; the
    spelling corrector is not loaded)."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition(" ")
        counts[word] = int(count)
    return counts


class Lexicon:
    """Known words: the English lexicon plus ``extra`` (the matcher's vocabulary), numbers and
    ordinals (14, 7th); of single letters only a, i and chat's u."""

    def __init__(self, extra: Iterable[str], cue_words: Iterable[str] = ()) -> None:
        self._counts = _lexicon()
        self._extra = frozenset(w for w in extra if w.isascii())
        self._cues = frozenset(w for w in cue_words if w.isascii())
        self._top = max(self._counts.values())

    def cue_word(self, word: str) -> bool:
        """A word the matcher reads as a cue or a guard (its own vocabulary, not English)."""
        return word in self._cues or word.removesuffix("s") in self._cues

    def known(self, word: str) -> bool:
        """A word of the lexicon or the vocabulary; "'s" after one too. One letter: a, i."""
        if len(word) > 1 and (word in self._counts or word in self._extra):
            return True  # most words: two set lookups
        if _NUMBER.fullmatch(word):
            return True
        if len(word) == 1:
            return word in "aiu"  # "a", "I", chat's "u"
        base = word.removesuffix("'s")
        return any(w in self._counts or w in self._extra for w in (word, base) if w)

    def weight(self, word: str) -> float:
        """log10 of the word's frequency (the vocabulary counts as common)."""
        count = self._counts.get(word.removesuffix("'s"), 0)
        return math.log10((count or self._top / 1000) / self._top)


def nbsp_joined(text: str, lexicon: Lexicon) -> str:
    """``text`` with no-break spaces inside words read away (see the module doc)."""
    if not any(c in text for c in _NBSP):
        return text

    def join(m: re.Match[str]) -> str:
        pieces = re.split(f"[{_NBSP}]", m.group(0))
        out = [pieces[0]]
        for piece in pieces[1:]:
            left, right = out[-1].lower().replace("’", "'"), piece.lower().replace("’", "'")
            if lexicon.known(left) and lexicon.known(right) and (
                    not lexicon.known(left + right) or min(len(left), len(right)) == 1):
                out.append(piece)  # two words with a no-break space typed between them
            else:
                out[-1] += piece
        return " ".join(out)

    return _NBSP_SPLIT.sub(join, text)


def _is_name(cased: str, start: int, end: int) -> bool:
    """A capitalised word (not all capitals) inside a sentence: a name, never a piece."""
    word = cased[start:end]
    if not word[:1].isupper() or word.isupper():
        return False
    return not _SENTENCE_END.search(cased[max(0, start - 8):start])


def _piece_of(chain: list[re.Match[str]], i: int, known: list[bool], cased: str,
              lexicon: Lexicon) -> bool:
    """A capitalised word that is the head of a split word, not a name: the next word is an
    unknown one in lower case and the two make a known word ("Mitz vah", "Linco ln")."""
    if i + 1 >= len(chain) or known[i + 1]:
        return False
    nxt = chain[i + 1]
    return cased[nxt.start()].islower() and lexicon.known(chain[i].group(0) + nxt.group(0))


def _chains(low: str) -> list[list[re.Match[str]]]:
    """Runs of Latin words split by single spaces."""
    chains: list[list[re.Match[str]]] = []
    last: re.Match[str] | None = None
    for m in _TOKEN.finditer(low):
        if last is not None and m.start() == last.end() + 1 and low[last.end()] == " ":
            chains[-1].append(m)
        else:
            chains.append([m])
        last = m
    return [c for c in chains if len(c) > 1]


def _resegment(tokens: list[str], known: list[bool], lexicon: Lexicon) -> list[str] | None:
    """The cheapest reading of a run of words as known words, or None when it is the run itself.

    Cost (as in SymSpell's word segmentation): a word kept as it was costs nothing when known,
    and its length plus one when not; a space read away or a space read in costs one each; every
    new word reads at least one space away. Ties go to the more frequent words."""
    letters = "".join(tokens)
    bounds, pos = {0}, 0
    exact: dict[tuple[int, int], int] = {}
    for i, tok in enumerate(tokens):
        exact[(pos, pos + len(tok))] = i
        pos += len(tok)
        bounds.add(pos)
    best: list[tuple[int, float, list[str]] | None] = [None] * (len(letters) + 1)
    best[0] = (0, 0.0, [])
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - _LONGEST), end):
            prev = best[start]
            if prev is None:
                continue
            word = letters[start:end]
            idx = exact.get((start, end))
            if idx is not None:
                cost = 0 if known[idx] else len(word) + 1
            elif _split_number(word, start, bounds):
                cost = 0  # "U1 0" -> U10, "1 5m" -> 15m: one number's digits split apart
            elif lexicon.known(word) and any(start < b < end for b in bounds):
                # A new word must take a space away: an unknown word is never cut into known
                # ones ("quinceanera" is not "quince an era").
                cost = sum(start < b < end for b in bounds) + (start not in bounds)
                parts = [letters[a:z] for (a, z) in exact if start <= a and z <= end]
                if start in bounds and end in bounds and all(map(lexicon.known, parts)) and (
                        lexicon.weight(word) - sum(map(lexicon.weight, parts)) >= _GAIN
                        or (lexicon.cue_word(word) and min(map(len, parts)) > 1
                        and min(map(lexicon.weight, parts)) <= _UNCOMMON)):
                    # "fir st" beside other split words: far likelier "first"; "min or" beside
                    # them: the matcher's own word, and "min" is no common word (a word of one
                    # letter stands alone: "lol I" is no "loli")
                    cost = 0
            else:
                continue
            cand = (prev[0] + cost, prev[1] + lexicon.weight(word), [*prev[2], word])
            cur = best[end]
            if cur is None or (cand[0], -cand[1]) < (cur[0], -cur[1]):
                best[end] = cand
    last = best[len(letters)]
    return last[2] if last and last[2] != tokens else None


def _split_number(word: str, start: int, bounds: set[int]) -> bool:
    """Two pieces that are one number split between its digits, with a letter or two on it
    ("u1 0", "1 5m"; not "1 5", which may be two numbers, nor "1 st")."""
    cut = [b - start for b in bounds if start < b < start + len(word)]
    return (start in bounds and start + len(word) in bounds
            and len(cut) == 1 and word[cut[0] - 1].isdigit() and word[cut[0]].isdigit()
            and not word.isdigit() and _SPLIT_NUMBER.fullmatch(word) is not None)


# log10 of how much likelier a word is than the known words it was split into, for a join of
# known words next to a split unknown one: "fir st" -> "first" (about 10^7), not "min or" ->
# "minor" (about 10^2: "a min or two"), nor "in jury" (10^2).
_GAIN = 3.0
# log10 of a word's share of the commonest word's count, at or under which it is no common word
# ("min" -2.7, "fresh" -2.8, "bar" -2.5; "or" -1.0, "man" -2.1, "in" -0.4).
_UNCOMMON = -2.4
_REACH = 3  # known words on each side of an unknown one that a reading may draw in


def _latin(low: str, cased: str, lexicon: Lexicon) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for chain in _chains(low):
        known = [lexicon.known(m.group(0)) for m in chain]
        if all(known):
            continue
        names = [_is_name(cased, m.start(), m.end())
                 and not _piece_of(chain, i, known, cased, lexicon) for i, m in enumerate(chain)]
        # Letters spelt out one by one ("u n d e r a g e") are safety.cues' spelt-out reading.
        for i in range(len(chain) - 2):
            if all(len(m.group(0)) == 1 for m in chain[i:i + 3]):
                names[i] = names[i + 1] = names[i + 2] = True
        # Stretches around unknown words, cut at names (never a piece of a joined word).
        marks = [False] * len(chain)
        for i, ok in enumerate(known):
            if not ok and not names[i]:
                for j in range(max(0, i - _REACH), min(len(chain), i + _REACH + 1)):
                    marks[j] = True
        i = 0
        while i < len(chain):
            if not marks[i] or names[i]:
                i += 1
                continue
            j = i
            while j < len(chain) and marks[j] and not names[j]:
                j += 1
            run = chain[i:j]
            words = _resegment([m.group(0) for m in run], known[i:j], lexicon)
            if words:
                out.append((run[0].start(), run[-1].end(), " ".join(words)))
            i = j
    return out


def _recased(cased: str, new: str) -> str:
    """``new`` (lower case, spaces moved) with the letters of ``cased`` back in their case."""
    letters = iter(cased.replace(" ", ""))
    return "".join(c if c == " " else next(letters) for c in new)


def rejoined(cased: str, low: str, lexicon: Lexicon) -> tuple[str, list[tuple[int, int]]] | None:
    """``cased`` with split words read whole, and the stretches changed; None when nothing is.

    ``low`` is the same normalised text lower-cased, character for character."""
    changes = [(a, b, _recased(cased[a:b], new)) for a, b, new in _latin(low, cased, lexicon)
               ] if " " in low else []
    changes += [(m.start(), m.end(), m.group(0).replace(" ", ""))
                for m in _JA_SPLIT.finditer(cased)]
    if not changes:
        return None
    chars, spans = list(cased), []
    for start, end, new in changes:
        # The padding goes on the side that is no letter, so that what follows stays attached
        # ("fift een y/o" -> " fifteen y/o", not "fifteen y /o"; "女 子中2" -> " 女子中2").
        if end < len(cased) and not cased[end].isspace() and (
                start == 0 or cased[start - 1].isspace() or cased[start - 1] in "([\"'"):
            chars[start:end], span = list(new.rjust(end - start)), (end - len(new), end)
        else:
            chars[start:end], span = list(new.ljust(end - start)), (start, start + len(new))
        spans.append(span)
    return "".join(chars), spans
