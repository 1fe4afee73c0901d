"""Which digits the OCR reads for which (``bot.receipts.dates.MISREADS``): each SROIE text line
with four digits or more, matched by its digits to the OCR row whose digits are most alike,
and the digits replaced one for one counted ("83": an 8 printed, a 3 read).

    .venv/bin/python bench/receipts.py --sroie DIR --first 150 --last 499 --ocr-cache CACHE
    .venv/bin/python bench/ocr_misreads.py --sroie DIR --ocr-cache CACHE [--first 150 --last 499]

Reads the OCR words cached by bench/receipts.py (no OCR here). Prints figures, never passes or
fails. Receipts below 150 are refused (kept for measuring), as in bench/receipts.py.
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import collections
import difflib
import json
import re
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.receipts import sroie_numbers
from bot.receipts.layout import group_rows
from bot.vision.ocr_words import Word

MIN_DIGITS = 4  # lines with fewer digits match too many rows by chance
MIN_LIKENESS = 0.7  # the matched row's digits at least this alike (difflib's ratio)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def misreads(truth: list[str], read: list[str]) -> collections.Counter[str]:
    """Digit pairs (printed + read) replaced one for one between each true line and its most
    alike OCR row."""
    counts: collections.Counter[str] = collections.Counter()
    rows = [digits(t) for t in read]
    for line in truth:
        printed = digits(line)
        if len(printed) < MIN_DIGITS or not rows:
            continue
        best = max(rows, key=lambda r: difflib.SequenceMatcher(None, printed, r).ratio())
        match = difflib.SequenceMatcher(None, printed, best)
        if match.ratio() < MIN_LIKENESS:
            continue
        for op, a1, a2, b1, b2 in match.get_opcodes():
            if op == "replace" and a2 - a1 == b2 - b1:
                counts.update(p + r for p, r in zip(printed[a1:a2], best[b1:b2], strict=True))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sroie", type=Path, required=True, help="an SROIE folder (img/, box/)")
    ap.add_argument("--ocr-cache", type=Path, required=True,
                    help="the words bench/receipts.py --ocr-cache kept")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    args = ap.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    seen = 0
    for n in sroie_numbers(args.sroie, args.first, args.last):
        cached = args.ocr_cache / f"sroie_{n}_0.json"
        if not cached.exists():
            continue
        seen += 1
        words = [Word(*w) for w in json.loads(cached.read_text(encoding="utf-8"))["words"]]
        rows = [r.text for r in group_rows(words, "ja")]
        lines = [ln.split(",", 8)[-1].strip() for ln in
                 (args.sroie / "box" / f"{n:03d}.csv").read_text(
                     encoding="utf-8", errors="replace").splitlines() if ln.count(",") >= 8]
        counts += misreads(lines, rows)
    print(f"{seen} receipts read from {args.ocr_cache}; digit printed -> digit read, count:")
    for pair, k in counts.most_common():
        print(f"   {pair[0]} -> {pair[1]}  {k}")


if __name__ == "__main__":
    main()
