"""OCR with word boxes, grouped into printed rows: each label stays with the amount on its row
however far right it is printed (Tesseract's own line grouping splits a receipt's right-aligned
price column into separate "lines" or drops it with the layout analysis of mode 4).

``read_rows`` runs Tesseract's ``image_to_data`` once and groups the words by their vertical
centres; ``rows_text`` gives the rows as text, one printed row a line, for the reader and for the
OCR context a vision model gets.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from PIL import Image

from bot.errors import EngineError, EngineUnavailable
from bot.vision.ocr import normalise_text
from bot.vision.ocr_words import MAX_WORDS, Word

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


class RapidWords:
    """RapidOCR's text boxes as words (its boxes are phrases; grouping into rows is the same).
    The model loads on first use and is kept."""

    def __init__(self) -> None:
        self._engine: object | None = None
        self._lock = threading.Lock()

    def __call__(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as err:
                    raise EngineUnavailable("rapidocr is not installed") from err
                self._engine = RapidOCR()
        try:
            result, _ = self._engine(image.convert("RGB"))  # type: ignore[operator]
        except Exception as err:  # onnxruntime and cv2 raise many types; all mean "failed"
            raise EngineError(f"rapidocr failed: {err}") from err
        words = []
        for box, text, score in (result or [])[:MAX_WORDS]:
            xs, ys = [int(p[0]) for p in box], [int(p[1]) for p in box]
            words.append(Word(str(text), min(xs), min(ys), max(xs) - min(xs),
                              max(ys) - min(ys), float(score)))
        return words


def group_rows(words: list[Word], lang: str = "ja") -> list[Row]:
    """Words grouped into printed rows, top to bottom, each left to right. A word joins the row
    whose centre line it crosses (within 0.55 of the row's typical height); the row's centre
    follows its words, so a slight remaining tilt still keeps a row together."""
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
            if d <= 0.55 * h and (best < 0 or d < best_d):
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


def _centre_at(row: list[Word], centre: float, x: int) -> float:
    """The row's centre line at ``x``: its nearest word's centre (tilt-tolerant) blended with
    the row's mean."""
    nearest = min(row, key=lambda w: abs(w.left - x))
    return (nearest.cy + centre) / 2


def rows_text(rows: list[Row]) -> str:
    return "\n".join(r.text for r in rows)
