"""How far a page is turned, from the reading itself (issue 21's CPU target).

The detector's boxes say which way the lines run: boxes taller than wide mean the page is on
its side. The direction classifier that reads with the recogniser (PP-OCR's 0/180 line
classifier, run on every line anyway) says, line by line, whether the text is upside down; the
page is turned the way most of its text (by the lines' length) says. So the page's turn costs
no detection of its own: an upright or upside-down page is read once, its words mapped, and
only a page on its side is read again, turned.

rapidocr cuts a line whose box is at least 1.5 times taller than wide and turns the cut a
quarter counter-clockwise before it classifies and reads it; so on a page on its side, a line
the classifier calls upright was printed running down the page (the page must turn 90 degrees
counter-clockwise), and one it calls upside down was printed running up (270).
"""

from __future__ import annotations

from collections.abc import Sequence

TALL = 1.5  # a box this much taller than wide is a line printed across the photo
CLS_UP, CLS_DOWN = "0", "180"  # the direction classifier's labels

Extent = tuple[float, float, float, float]  # x0, y0, x1, y1


def sideways(extents: Sequence[Extent]) -> bool:
    """More of the text (by box area) runs up or down the page than across it."""
    tall = sum((y1 - y0) * (x1 - x0) for x0, y0, x1, y1 in extents if (y1 - y0) > TALL * (x1 - x0))
    wide = sum((y1 - y0) * (x1 - x0) for x0, y0, x1, y1 in extents if (x1 - x0) > TALL * (y1 - y0))
    return tall > wide


def upside_down(extents: Sequence[Extent], labels: Sequence[tuple[str, float]],
                on_side: bool) -> bool:
    """Most of the text (the lines cut turned, on a page ``on_side``, else the others;
    weighted by their length and the classifier's score) is upside down in its cut."""
    up = down = 0.0
    for (x0, y0, x1, y1), (label, score) in zip(extents, labels, strict=True):
        w, h = x1 - x0, y1 - y0
        if (h >= TALL * w) != on_side or max(w, h) <= 0:
            continue  # a line running the other way, or none
        weight = max(w, h) * float(score)
        if label == CLS_DOWN:
            down += weight
        elif label == CLS_UP:
            up += weight
    return down > up


def page_turn(extents: Sequence[Extent], labels: Sequence[tuple[str, float]]) -> int:
    """Degrees (0, 90, 180, 270) to turn the page counter-clockwise (``Image.rotate``) so its
    text reads upright; 0 with fewer than two lines (too little text to tell)."""
    if len(extents) < 2:
        return 0
    on_side = sideways(extents)
    flipped = upside_down(extents, labels, on_side)
    if on_side:
        return 270 if flipped else 90
    return 180 if flipped else 0


__all__ = ["page_turn", "sideways", "upside_down"]
