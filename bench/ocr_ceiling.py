"""How often the OCR's words hold the true total at all: the share of SROIE receipts whose key
total is among the amounts of the cached OCR words (the page's and the bands read again), the
ceiling any rule on those words can reach. A figure over a whole range, never a receipt:

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
from decimal import Decimal
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.receipts import sroie_amount, sroie_numbers

_AMOUNT = re.compile(r"\d+[.,]\d{2}(?!\d)")


def holds(total: Decimal, texts: list[str]) -> bool:
    """The total printed, with its two decimals, among the words' texts."""
    return any(Decimal(a.replace(",", ".")) == total for t in texts for a in _AMOUNT.findall(t))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sroie", type=Path, required=True, help="an SROIE folder (key/)")
    ap.add_argument("--ocr-cache", type=Path, required=True,
                    help="the words bench/receipts.py --ocr-cache kept")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    args = ap.parse_args()
    seen = held = 0
    for n in sroie_numbers(args.sroie, args.first, args.last):
        cached = args.ocr_cache / f"sroie_{n}_0.json"
        key = args.sroie / "key" / f"{n:03d}.json"
        if not cached.exists() or not key.exists():
            continue
        total = sroie_amount(json.loads(key.read_text(encoding="utf-8")).get("total", ""))
        if total is None:
            continue
        data = json.loads(cached.read_text(encoding="utf-8"))
        texts = [w[0] for w in data["words"]]
        texts += [w[0] for band in data.get("bands", {}).values() for w in band]
        seen += 1
        held += holds(total, texts)
    share = f"{held / seen:.3f}" if seen else "n/a"
    print(f"{seen} receipts {args.first}-{args.last} read from {args.ocr_cache}; "
          f"the true total among the OCR's amounts: {share}")


if __name__ == "__main__":
    main()
