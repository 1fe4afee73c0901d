"""Receipt reader benchmark: per-field accuracy and time per receipt on generated receipts.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/receipts.py --n 200 [--seed 1000] [--show]

Receipts come from tests/receiptgen.py (Japanese and English, photos on a table and scans).
Prints figures; never passes or fails on time. OMP_THREAD_LIMIT=1 keeps Tesseract on one core;
"cpu" is the CPU time of this process and Tesseract per receipt (one core's work, steady on a
shared machine), "wall" the elapsed time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import unicodedata
from collections import Counter
from datetime import date as Date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image
from rapidfuzz import fuzz

from bot.receipts import paper
from bot.receipts.layout import RapidWords
from bot.receipts.model import Receipt
from bot.receipts.reader import WordSource, read_receipt
from bot.vision.ocr_words import PSM, Word, tesseract_words
from tests.receiptgen import generate

FIELDS = ("total", "date", "currency", "merchant", "payment_method", "category", "tax",
          "tax_rate", "invoice_number")
TARGETS = {"total": 0.98, "date": 0.98, "currency": 0.98, "merchant": 0.90,
           "payment_method": 0.90, "category": 0.90}


def _norm(text: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def correct(field: str, got: Receipt, truth: Receipt) -> bool:
    a, b = getattr(got, field), getattr(truth, field)
    if field == "merchant":
        return b is not None and fuzz.ratio(_norm(a), _norm(b)) >= 85
    return bool(a == b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000,
                    help="first seed (the bench's seeds differ from the tests')")
    ap.add_argument("--show", action="store_true", help="print each miss")
    ap.add_argument("--lang", choices=["ja", "en"], default=None)
    ap.add_argument("--engine", choices=["tesseract", "rapidocr"], default="tesseract")
    ap.add_argument("--psm", type=int, default=PSM, help="Tesseract page segmentation mode")
    ap.add_argument("--text-height", type=int, default=paper.TEXT_HEIGHT,
                    help="printed rows scaled to this height in pixels for OCR")
    args = ap.parse_args()
    paper.TEXT_HEIGHT = args.text_height
    source: WordSource
    if args.engine == "rapidocr":
        source = RapidWords()
    else:
        def source(image: Image.Image, lang: str) -> list[Word]:
            return tesseract_words(image, lang, psm=args.psm)
    hits: Counter[str] = Counter()
    by_lang: Counter[tuple[str, str]] = Counter()
    langs: Counter[str] = Counter()
    times: list[float] = []
    cpu: list[float] = []
    for seed in range(args.seed, args.seed + args.n):
        g = generate(seed, lang=args.lang)
        start, cpu0 = time.perf_counter(), _cpu()
        got = read_receipt(g.image, ocr=source, today=Date(2026, 11, 28))
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((_cpu() - cpu0) * 1000)
        langs[g.lang] += 1
        for f in FIELDS:
            ok = correct(f, got, g.truth)
            hits[f] += ok
            by_lang[(g.lang, f)] += ok
            if not ok and args.show:
                print(f"seed {seed} {g.lang} {g.date_form} photo={g.photo} {f}: "
                      f"got {getattr(got, f)!r} truth {getattr(g.truth, f)!r}")
    n = args.n
    print(f"engine {args.engine} psm {args.psm} text height {paper.TEXT_HEIGHT}px; "
          f"receipts: {n} ({dict(langs)}), "
          f"OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')},"
          f" load average {os.getloadavg()[0]:.2f}")
    for f in FIELDS:
        target = TARGETS.get(f)
        per = "  ".join(f"{lg} {by_lang[(lg, f)] / langs[lg]:.3f}" for lg in sorted(langs))
        mark = "" if target is None else (" ok" if hits[f] / n >= target else f" BELOW {target}")
        print(f"  {f:15s} {hits[f] / n:.3f}  ({per}){mark}")
    for name, values in (("wall", times), ("cpu", cpu)):
        q = statistics.quantiles(values, n=20) if len(values) > 1 else [values[0]] * 19
        print(f"  {name} time per receipt: p50 {statistics.median(values):.0f} ms, "
              f"p95 {q[18]:.0f} ms")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract runs as a child): the
    time one core spends per receipt, whatever else shares the machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
