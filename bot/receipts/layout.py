"""OCR with word boxes, grouped into printed rows: each label stays with the amount on its row
however far right it is printed (Tesseract's own line grouping splits a receipt's right-aligned
price column into separate "lines" or drops it with the layout analysis of mode 4).

``read_rows`` runs Tesseract's ``image_to_data`` once and groups the words by their vertical
centres; ``rows_text`` gives the rows as text, one printed row a line, for the reader and for the
OCR context a vision model gets.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bot.vision.ocr import normalise_text
from bot.vision.ocr_words import Word

MAX_ROW_CHARS = 400


@dataclass(frozen=True)
class Row:
    words: tuple[Word, ...]
    text: str  # normalised, words left to right

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def height(self) -> float:
        return statistics.median(w.height for w in self.words)

    @property
    def conf(self) -> float:
        return sum(w.conf for w in self.words) / len(self.words)


def group_rows(words: list[Word], lang: str = "ja") -> list[Row]:
    """Words grouped into printed rows, top to bottom, each left to right. A word joins the row
    whose centre line it crosses (within 0.55 of the row's typical height); the row's centre
    follows its words, so a slight remaining tilt still keeps a row together. A word printed
    over or under one of the row's words (their spans overlap by a third, their centres apart)
    is on another row: a tilted name's tall box reached the address under it."""
    if not words:
        return []
    typical = statistics.median(w.height for w in words)
    rows: list[list[Word]] = []
    centres: list[float] = []
    for w in sorted(words, key=lambda w: (w.cy, w.left)):
        h = min(max(w.height, typical * 0.5), typical * 2)
        best, best_d = -1, 0.0
        for i in range(max(0, len(rows) - 4), len(rows)):
            d = abs(w.cy - _centre_at(rows[i], centres[i], w.left))
            if d <= 0.55 * h and (best < 0 or d < best_d) and not _stacked(rows[i], w):
                best, best_d = i, d
        if best < 0:
            rows.append([w])
            centres.append(w.cy)
        else:
            rows[best].append(w)
            centres[best] = sum(x.cy for x in rows[best]) / len(rows[best])
    out = []
    for row in rows:
        row.sort(key=lambda w: w.left)
        text = normalise_text(" ".join(w.text for w in row), lang)[:MAX_ROW_CHARS]
        if text:
            out.append(Row(tuple(row), text))
    out.sort(key=lambda r: statistics.median(w.cy for w in r.words))
    return out


def _stacked(row: list[Word], w: Word) -> bool:
    """Whether ``w`` lies over or under a word of ``row``: side by side words share no span,
    and two that do but share their centre line too are one row read twice over (Tesseract's
    Japanese boxes: "東京" spanning its row's other words, "野" over "店")."""
    return any(min(x.left + x.width, w.left + w.width) - max(x.left, w.left)
               > min(x.width, w.width) / 3
               and abs(x.cy - w.cy) > 0.35 * min(x.height, w.height) for x in row)


def _centre_at(row: list[Word], centre: float, x: int) -> float:
    """The row's centre line at ``x``: its nearest word's centre (tilt-tolerant) blended with
    the row's mean."""
    nearest = min(row, key=lambda w: abs(w.left - x))
    return (nearest.cy + centre) / 2


def rows_text(rows: list[Row]) -> str:
    return "\n".join(r.text for r in rows)
