"""The page's turn, alone: the first guess (``paper.runs_down``) and the first call of the turn
from the reading (``RapidEngine.read_turned``), each against the truth, on SROIE development
receipts and rendered ones turned 0, 90, 180 and 270 degrees (turned pixels, no EXIF).

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/turns.py --sroie DIR [--first 150 --last 499
        --step 5] [--guess-only]
    OMP_THREAD_LIMIT=1 .venv/bin/python bench/turns.py --n 30 --seed 4000 [--guess-only]

For each turn: how many photos the guess calls on their side, and how many the reading's first
call gets right on the flattened page as the reader would see it (after the guess). Misses are
named. Prints figures, never passes or fails; ``bench/receipts.py --rotate`` measures the
fields and the CPU end to end. Receipts below 150 are refused (kept for measuring).
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np
from PIL import Image

from bench.receipts import sroie_numbers
from bot.receipts.paper import flatten, runs_down
from bot.receipts.reader import _normalised
from bot.vision.ocr_words import turn_image
from bot.vision.rapid import RapidEngine

TURNS = (0, 90, 180, 270)


def photos(args: argparse.Namespace) -> Iterator[tuple[str, Image.Image]]:
    if args.sroie is not None:
        for n in sroie_numbers(args.sroie, args.first, args.last, args.step):
            with Image.open(args.sroie / "img" / f"{n:03d}.jpg") as img:
                yield f"sroie {n:03d}", img.convert("RGB")
    else:
        from tests.receiptgen import generate

        for seed in range(args.seed, args.seed + args.n):
            lang = "ja" if seed % 2 else "en"
            yield f"rendered {seed} {lang}", generate(seed, lang=lang,
                                                     photo=bool(seed % 3)).image


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sroie", type=Path, help="an SROIE folder (img/); else rendered receipts")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    ap.add_argument("--step", type=int, default=5)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=4000)
    ap.add_argument("--guess-only", action="store_true", help="the first guess alone (fast)")
    args = ap.parse_args()
    engine = RapidEngine()
    guessed: Counter[int] = Counter()
    right: Counter[int] = Counter()
    count = 0
    guess_cpu: list[float] = []
    for name, image in photos(args):
        count += 1
        for turn in TURNS:
            photo = _normalised(image.rotate(-turn, expand=True))  # turned clockwise
            start = time.process_time()
            sideways = runs_down(np.asarray(photo))
            guess_cpu.append(time.process_time() - start)
            guessed[turn] += sideways
            if sideways != (turn in (90, 270)):
                print(f"  guess: {name} at {turn}: {'on its side' if sideways else 'not'}")
            if args.guess_only:
                continue
            quarter = 90 if sideways else 0
            paper, _ = flatten(turn_image(photo, quarter))
            said, _ = engine.read_turned(paper)
            want = (turn - quarter) % 360  # what is left to turn after the guess
            right[turn] += said == want
            if said != want:
                print(f"  reading: {name} at {turn}: said {said}, left to turn {want}")
    source = (f"SROIE {args.first:03d}-{args.last:03d} every {args.step}th" if args.sroie
              else f"rendered seeds {args.seed}-{args.seed + args.n - 1}")
    print(f"{source}: {count} photos at each turn; guess CPU median "
          f"{statistics.median(guess_cpu) * 1000:.0f} ms")
    for turn in TURNS:
        line = f"  turned {turn:3d}: the guess says on its side {guessed[turn]:3d} of {count}"
        if not args.guess_only:
            line += f"; the reading's first call right {right[turn]:3d} of {count}"
        print(line)


if __name__ == "__main__":
    main()
