"""Split a long answer into parts that a chat platform takes and renders.

``split_text(text, limit)`` cuts at the coarsest boundary that keeps a part at least half full:
a blank line, then a line break, then a sentence end (``. ! ?`` before a space, or ``。！？``,
so Japanese without spaces splits too), then a space, and only then anywhere. A hard cut never
falls inside an entity such as ``&amp;`` (the platform would show the pieces) nor before a
combining mark. A code fence left open at a cut is closed at the end of that part and reopened,
with its language, at the start of the next, so both parts render as code.

Hand-written because the text splitters on PyPI (langchain's, semantic-text-splitter) cut on
paragraphs and sentences but know nothing of chat markup: entities and fences get cut in half.
"""

from __future__ import annotations

import re
import unicodedata

FENCE = "```"
FENCE_CLOSE = "\n" + FENCE
MIN_LIMIT = 64  # room for a reopened fence line and some text
MAX_FENCE_LINE = 40  # a longer opening line is reopened as a bare fence

_ENTITY = re.compile(r"&#?[A-Za-z0-9]{1,10};")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters each, in order.

    Whitespace at a cut is dropped (line breaks and spaces between parts), nothing else: the
    parts, read one after another, say what ``text`` said. A text that fits comes back whole.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters, got {limit}")
    parts: list[str] = []
    rest, reopen = text, ""
    while len(reopen) + len(rest) > limit:
        budget = limit - len(reopen) - len(FENCE_CLOSE)
        cut, resume = _cut(rest, budget)
        piece = (reopen + rest[:cut]).rstrip()
        rest = rest[resume:]
        opening = _open_fence(piece)
        if opening is None:
            reopen = ""
        else:
            piece += FENCE_CLOSE
            reopen = (opening if len(opening) <= MAX_FENCE_LINE else FENCE) + "\n"
        if piece.strip():
            parts.append(piece)
    last = (reopen + rest).rstrip() if parts or reopen else rest
    if last.strip() or not parts:
        parts.append(last)
    return parts


def _cut(rest: str, budget: int) -> tuple[int, int]:
    """Where this part ends and where the next begins (after the whitespace at the cut)."""
    floor = max(1, budget // 2)
    for sep in ("\n\n", "\n"):
        at = rest.rfind(sep, floor, budget + len(sep))
        if at >= floor:
            return at, _skip(rest, at, "\n")
    ends = [m.end() for m in _SENTENCE_END.finditer(rest, 0, budget + 1)
            if floor <= m.end() <= budget]
    if ends:
        return ends[-1], _skip(rest, ends[-1], " \t")
    at = rest.rfind(" ", floor, budget + 1)
    if at >= floor:
        return at, _skip(rest, at, " ")
    cut = _hard_cut(rest, budget)
    return cut, cut


def _skip(text: str, at: int, chars: str) -> int:
    while at < len(text) and text[at] in chars:
        at += 1
    return at


def _hard_cut(text: str, budget: int) -> int:
    cut = budget
    for m in _ENTITY.finditer(text, max(0, budget - 12), budget + 12):
        if m.start() < cut < m.end():
            cut = m.start()
    while 0 < cut < len(text) and unicodedata.combining(text[cut]):
        cut -= 1
    return cut or budget


def _open_fence(part: str) -> str | None:
    """The opening line of a code fence that is still open at the end of ``part``."""
    opening: str | None = None
    for line in part.split("\n"):
        stripped = line.strip()
        if stripped.startswith(FENCE):
            opening = None if opening is not None else stripped
    return opening
