"""How often the OCR's words hold the true total and date at all: the share of SROIE receipts
whose key total is among the amounts of the cached OCR words (the page's and the bands read
again), and whose key date is among the dates read in their rows: the ceiling any rule on those
words can reach. A figure over a whole range, never a receipt:

    .venv/bin/python bench/receipts.py --sroie DIR --first 150 --last 499 --ocr-cache CACHE
    .venv/bin/python bench/ocr_ceiling.py --sroie DIR --ocr-cache CACHE [--first 150 --last 499]

Reads the OCR words cached by bench/receipts.py (no OCR here). Prints figures, never passes or
fails. Receipts below 150 are refused (kept for measuring), as in bench/receipts.py.
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import json
import re
import sys
from datetime import date as Date
from decimal import Decimal
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.receipts import cache_file, sroie_amount, sroie_date, sroie_numbers
from bot.receipts.dates import find_dates
from bot.receipts.layout import group_rows
from bot.vision.ocr_words import Word

_AMOUNT = re.compile(r"\d+[.,]\d{2}(?!\d)")


def holds(total: Decimal, texts: list[str]) -> bool:
    """The total printed, with its two decimals, among the words' texts."""
    return any(Decimal(a.replace(",", ".")) == total for t in texts for a in _AMOUNT.findall(t))


def holds_date(day: Date, words: list[list[Word]]) -> bool:
    """The date among those read in the rows of any of the readings (a page's, a band's), in
    either order of day and month."""
    for reading in words:
        text = "\n".join(r.text for r in group_rows(reading, "ja"))
        for currency in ("MYR", "USD"):  # day first, then month first
            if any(f.value == day for f in find_dates(text, currency=currency,
                                                      today=Date(2026, 11, 28))):
                return True
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sroie", type=Path, required=True, help="an SROIE folder (key/)")
    ap.add_argument("--ocr-cache", type=Path, required=True,
                    help="the words bench/receipts.py --ocr-cache kept")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    ap.add_argument("--photo", type=int, default=None, metavar="SEED",
                    help="the words of the phone photos bench/receipts.py --photo SEED read")
    args = ap.parse_args()
    seen = held = dated = held_date = 0
    for n in sroie_numbers(args.sroie, args.first, args.last):
        cached = cache_file(args.ocr_cache, f"sroie {n:03d}", args.photo, 0)
        key = args.sroie / "key" / f"{n:03d}.json"
        if not cached.exists() or not key.exists():
            continue
        truth = json.loads(key.read_text(encoding="utf-8"))
        data = json.loads(cached.read_text(encoding="utf-8"))
        readings = [[Word(*w) for w in data["words"]]]
        readings += [[Word(*w) for w in band] for band in data.get("bands", {}).values()]
        total = sroie_amount(truth.get("total", ""))
        if total is not None:
            seen += 1
            held += holds(total, [w.text for reading in readings for w in reading])
        day = sroie_date(truth.get("date", ""))
        if day is not None:
            dated += 1
            held_date += holds_date(day, readings)
    share = f"{held / seen:.3f}" if seen else "n/a"
    share_date = f"{held_date / dated:.3f}" if dated else "n/a"
    print(f"{seen} receipts {args.first}-{args.last} read from {args.ocr_cache}; "
          f"the true total among the OCR's amounts: {share}; "
          f"the true date among its dates: {share_date}")

if __name__ == "__main__":
    main()
