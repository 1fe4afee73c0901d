"""A second look at the rows that matter (issue 21): where the first reading of a receipt leaves
its total unbacked (nothing else on the slip prints or makes it) or finds no date, the rows that
name a total or a date are read again, each cut out of the paper on its own band and enlarged.

Why: the detector sees the whole receipt scaled down (``rapid.DET_SIDE``), and on a faint or
dense scan a box can cut a digit off ("Total RM 20.0" for 270.00) or run a date into its time;
on one row, twice the size, it sees the row as printed. Reading a few bands costs a fraction of
the first reading, and only uncertain receipts pay it.

``look_again`` decides whether to look (``wanted``), which rows (``key_rows``), puts the re-read
rows' words in place of the old ones (``second_look``, through a ``BandReader``: the reader's
reads the paper, the bench's may read a cache), reads the fields again and keeps the new
reading only where it is surer (``better``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PIL import Image, ImageOps

from bot.receipts import fields as F
from bot.receipts.layout import Row, group_rows
from bot.receipts.model import Receipt
from bot.vision.ocr_words import Word

SCALE = 2  # a band is enlarged this many times before it is read
MAX_ROWS = 4  # at most this many rows are read again per receipt
PAD = 0.45  # of the row's height, above and below its band
MAX_BAND_SIDE = 4000  # an enlarged band's long side at most (a very wide scan is cut down)
WIDE = 8  # a band is padded with white to at most this many times as wide as it is tall

_DATE_ROW = re.compile(r"\bdate\b|\btarikh\b|日\s*付|\d{1,4}\s*[/.\-]\s*\S{1,4}\s*[/.\-]\s*\d{2}",
                       re.I)

Reader = Callable[[Image.Image, str], list[Word]]
BandReader = Callable[[int, int], list[Word]]  # (top, bottom) on the paper -> words on it


def wanted(receipt: Receipt, backed: bool) -> tuple[bool, bool]:
    """Whether to look again for the total and for the date."""
    return (receipt.is_receipt and receipt.readable and not backed,
            receipt.is_receipt and receipt.readable and receipt.date is None)


def key_rows(rows: list[Row], total: bool, date: bool) -> list[Row]:
    """The rows to read again: those naming a total (strongest label first), then those with a
    date word or date-like digits; at most MAX_ROWS."""
    picked: list[Row] = []
    if total:
        scored = [(F.total_strength(r.text), i) for i, r in enumerate(rows)]
        picked += [rows[i] for s, i in sorted(scored, key=lambda t: (-t[0], -t[1])) if s > 0][:2]
    if date:
        picked += [r for r in rows if _DATE_ROW.search(r.text) and r not in picked][:2]
    return picked[:MAX_ROWS]


def band_reader(paper: Image.Image, read: Reader, lang: str) -> BandReader:
    """Reads the paper's band between two heights on its own, enlarged; the words come back in
    the paper's coordinates."""
    def band(y0: int, y1: int) -> list[Word]:
        y0, y1 = max(0, y0), min(paper.height, y1)
        if y1 - y0 < 4:
            return []
        crop = paper.crop((0, y0, paper.width, y1))
        scale = min(SCALE, MAX_BAND_SIDE / max(crop.size))
        if scale > 1:
            crop = crop.resize((round(crop.width * scale), round(crop.height * scale)),
                               Image.Resampling.LANCZOS)
        scale = max(scale, 1)
        # white above and below, up to WIDE: a strip any wider is padded by the detector
        # itself (rapidocr: black, to a quarter of its width, twice the pixels to detect on)
        lift = -(-max(0, -(-crop.width // WIDE) - crop.height) // 2)
        if lift:
            crop = ImageOps.expand(crop, (0, lift, 0, lift), fill="white")
        return [Word(w.text, round(w.left / scale), y0 + round((w.top - lift) / scale),
                     round(w.width / scale), round(w.height / scale), w.conf)
                for w in read(crop, lang)]
    return band


def second_look(words: list[Word], rows: list[Row], band: BandReader) -> list[Word]:
    """``words`` with each of ``rows`` read again on its own band: the row's old words give way
    to the band's words centred on the row (not the edges of the rows above and below), where
    the band read any."""
    out = list(words)
    for row in rows:
        centre = sorted(w.cy for w in row.words)[len(row.words) // 2]
        half = row.height / 2
        pad = max(2, round(row.height * PAD))
        top, bottom = round(centre - half), round(centre + half)
        fresh = [w for w in band(top - pad, bottom + pad) if top <= w.cy <= bottom]
        if not fresh or not _same_row(row, fresh):
            continue
        old = {id(w) for w in row.words}
        out = [w for w in out if id(w) not in old] + fresh
    return out


def _same_row(row: Row, fresh: list[Word]) -> bool:
    """The band read the row it was cut for: its words share most of the row's letters' words
    (a band that caught a neighbour instead is no second reading of this row) and print at
    least as many amounts with cents."""
    def words_of(text: str) -> set[str]:
        return set(re.findall(r"[^\W\d_]{3,}", text.lower()))

    def cents(text: str) -> int:
        return len(re.findall(r"\d[.,]\d{2}(?!\d)", text))

    new = " ".join(w.text for w in sorted(fresh, key=lambda w: w.left))
    before, after = words_of(row.text), words_of(new)
    if before and len(before & after) * 2 < len(before):
        return False
    return cents(new) >= cents(row.text)


def look_again(first: Receipt, words: list[Word], lang: str, band: BandReader,
               read: Callable[[list[Word]], Receipt], agrees: Callable[[Receipt], bool],
               ) -> Receipt:
    """``first`` or, where it leaves the total unbacked or the date unfound, the reading with
    the total and date rows read again, if that one is surer."""
    first_backed = agrees(first)
    look_total, look_date = wanted(first, first_backed)
    if not (look_total or look_date):
        return first
    rows = key_rows(group_rows(words, lang), look_total, look_date)
    if not rows:
        return first
    second = read(second_look(words, rows, band))
    return second if better(first, second, first_backed, agrees(second)) else first


def better(first: Receipt, second: Receipt, first_backed: bool, second_backed: bool) -> bool:
    """The second reading is surer: its total is backed where the first's was not (and it has
    a date where the first had one), or it found a date the first missed and its total is as
    backed."""
    if second.date is None and first.date is not None:
        return False
    if second_backed and not first_backed:
        # not where the band lost the total row the first reading had: a total found
        # otherwise (an item's price printed twice) is less sure than the row's
        return second.confidence.get("total", 0.0) >= first.confidence.get("total", 0.0)
    return first.date is None and second.date is not None and second_backed >= first_backed


__all__ = ["band_reader", "better", "key_rows", "look_again", "second_look", "wanted"]
