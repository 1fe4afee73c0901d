"""OCR bench: character accuracy and median time per engine and language, on images rendered here.

    .venv/bin/python bench/ocr.py                 # with the reader's pre-processing
    .venv/bin/python bench/ocr.py --compare-prep  # also without it, to see what it buys
    .venv/bin/python bench/ocr.py --scales 1.0    # full-size images only

Accuracy is 1 - normalised Indel distance (rapidfuzz ``fuzz.ratio``/100) between the normalised
ground truth and the normalised OCR output, whitespace removed (engines differ in how they space
a receipt's columns, which is not an error worth counting). Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz

from bot.imaging.samples import (
    RECEIPT_EN,
    RECEIPT_JA,
    Receipt,
    Rendered,
    render_receipt,
    render_sign,
    scaled,
)
from bot.vision.ocr import ENGINES, OcrReader, normalise_text

RECEIPTS_JA = (
    RECEIPT_JA,
    Receipt(
        lang="ja",
        merchant="まちかどマート 新宿西口店",
        address="東京都新宿区西新宿1-5-8",
        date="2026年10月3日 09:05",
        items=(("カフェラテ", "¥180"), ("メロンパン", "¥150"), ("ボールペン 黒", "¥110")),
        subtotal=("小計", "¥440"),
        tax=("消費税(10%)", "¥44"),
        total=("合計", "¥484"),
        payment=("お支払い", "現金"),
        invoice=("登録番号", "T9876543210987"),
    ),
    Receipt(
        lang="ja",
        merchant="さくら書店",
        address="大阪府大阪市北区梅田3-1-1",
        date="2026年9月15日 18:47",
        items=(("文庫本", "¥990"), ("ブックカバー", "¥220"), ("しおり", "¥55")),
        subtotal=("小計", "¥1,265"),
        tax=("消費税(10%)", "¥126"),
        total=("合計", "¥1,391"),
        payment=("お支払い", "電子マネー"),
        invoice=("登録番号", "T5555666677778"),
    ),
)

RECEIPTS_EN = (
    RECEIPT_EN,
    Receipt(
        lang="en",
        merchant="GREEN LEAF CAFE",
        address="48 Harbour Road, Portland",
        date="Date: 2026-10-03 09:05",
        items=(("Latte", "$4.25"), ("Blueberry muffin", "$3.10"), ("Water", "$1.50")),
        subtotal=("Subtotal", "$8.85"),
        tax=("Tax (9%)", "$0.80"),
        total=("Total", "$9.65"),
        payment=("Paid", "MASTERCARD ****9921"),
        invoice=("Invoice No.", "GLC-10023"),
    ),
    Receipt(
        lang="en",
        merchant="BOOKS & MORE",
        address="7 Elm Avenue, Riverside",
        date="Date: 2026-09-15 18:47",
        items=(("Paperback novel", "$12.99"), ("Bookmark", "$1.49"), ("Notebook", "$5.25")),
        subtotal=("Subtotal", "$19.73"),
        tax=("Tax (6%)", "$1.18"),
        total=("Total", "$20.91"),
        payment=("Paid", "AMEX ****3005"),
        invoice=("Invoice No.", "BM-77120"),
    ),
)

SIGNS = {
    "ja": (
        ("非常口", "EXIT"),
        ("関係者以外立入禁止",),
        ("本日の営業時間", "午前10時から午後8時まで"),
    ),
    "en": (
        ("NO PARKING", "Tow-away zone"),
        ("Wet floor",),
        ("Opening hours", "Mon-Fri 9am to 6pm"),
    ),
}


def samples(lang: str, scales: list[float]) -> list[tuple[str, Rendered]]:
    """(name, image) pairs: every receipt and sign of ``lang`` at every scale."""
    base: list[tuple[str, Rendered]] = []
    for i, receipt in enumerate(RECEIPTS_JA if lang == "ja" else RECEIPTS_EN):
        base.append((f"receipt{i + 1}", render_receipt(receipt)))
    colours = [((255, 255, 255), (20, 90, 160)), ((0, 0, 0), (250, 210, 40)),
               ((255, 255, 255), (30, 120, 60))]
    for i, lines in enumerate(SIGNS[lang]):
        fg, bg = colours[i % len(colours)]
        base.append((f"sign{i + 1}", render_sign(lines, lang, fg=fg, bg=bg)))
    return [(f"{name}@{s:g}", scaled(r, s) if s != 1 else r) for s in scales for name, r in base]


def accuracy(truth: str, got: str, lang: str) -> float:
    """1 - normalised Indel distance between the texts, whitespace removed."""
    a = "".join(normalise_text(truth, lang).split())
    b = "".join(got.split())
    return fuzz.ratio(a, b) / 100


def run(engine: str, lang: str, preprocess: bool, images: list[tuple[str, Rendered]],
        verbose: bool) -> tuple[float, float]:
    reader = OcrReader(engines_by_lang={lang: engine}, preprocess=preprocess)
    reader.read(images[0][1].image, lang)  # warm-up: model loading is not what we measure
    accs, times = [], []
    for name, rendered in images:
        result = reader.read(rendered.image, lang)
        acc = accuracy(rendered.text, result.text, lang)
        accs.append(acc)
        times.append(result.elapsed_ms)
        if verbose:
            print(f"    {name:14} acc {acc:.3f} {result.elapsed_ms:7.0f} ms  "
                  f"{result.text[:70]!r}")
    return statistics.mean(accs), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-prep", action="store_true", help="also run without prep")
    parser.add_argument("--scales", default="1.0,0.5", help="image scales, comma-separated")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--langs", default="ja,en")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-image figures")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    preps = [True, False] if args.compare_prep else [True]
    print(f"{'lang':4} {'engine':10} {'prep':5} {'images':>6} {'char acc':>9} {'median ms':>10}")
    for lang in args.langs.split(","):
        images = samples(lang, scales)
        for engine in args.engines.split(","):
            for prep in preps if engine == "tesseract" else [True]:  # prep is Tesseract's only
                acc, ms = run(engine, lang, prep, images, args.verbose)
                print(f"{lang:4} {engine:10} {'on' if prep else 'off':5} {len(images):6d} "
                      f"{acc:9.3f} {ms:10.0f}", flush=True)


if __name__ == "__main__":
    main()
