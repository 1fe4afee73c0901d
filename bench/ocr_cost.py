"""Where a receipt's CPU time goes: RapidOCR with its own defaults against the reader's engine
(detector side, rec batch, tiny first or small only; the page's turn from the same reading),
the check-first turn (``turn``: Tesseract readers and callers that want the turn alone; no
longer on the receipt path), the flattening, and the lines recognised.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/ocr_cost.py --sroie DIR [--first 150 --last 499
        --step 25] [--no-tiers]

CPU seconds of this process per receipt (one thread per engine), averaged; prints figures, never
passes or fails. Receipts below 150 are refused (kept for measuring), as in bench/receipts.py.
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import numpy as np
from PIL import Image

from bench.receipts import sroie_numbers
from bot.receipts.paper import flatten
from bot.receipts.reader import _normalised
from bot.vision import rapid
from bot.vision.ocr import OcrReader


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sroie", type=Path, required=True, help="an SROIE folder (img/)")
    ap.add_argument("--first", type=int, default=150)
    ap.add_argument("--last", type=int, default=499)
    ap.add_argument("--step", type=int, default=25)
    ap.add_argument("--no-tiers", action="store_true",
                    help="the reader's engine reads every line with small (not tiny first)")
    args = ap.parse_args()
    from rapidocr import RapidOCR

    own = RapidOCR(params={
        "Global.log_level": "error", "Global.model_root_dir": str(rapid.models_dir()),
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    engine = rapid.RapidEngine(tiers=not args.no_tiers)
    reader = OcrReader(rapid_engine=engine)
    spent = {"rapidocr defaults": 0.0, "reader's engine": 0.0, "check-first turn": 0.0,
             "normalise + flatten": 0.0}
    lines = 0
    numbers = sroie_numbers(args.sroie, args.first, args.last, args.step)
    for n in numbers:
        with Image.open(args.sroie / "img" / f"{n:03d}.jpg") as img:
            image = img.convert("RGB")
        pixels = np.asarray(image)
        t = time.process_time()
        own(pixels)
        spent["rapidocr defaults"] += time.process_time() - t
        t = time.process_time()
        _, words = engine.read_turned(image)  # the turn from the same reading
        spent["reader's engine"] += time.process_time() - t
        lines += len(words or ())
        t = time.process_time()
        reader.turn(image)
        spent["check-first turn"] += time.process_time() - t
        t = time.process_time()
        flatten(_normalised(image))
        spent["normalise + flatten"] += time.process_time() - t
    count = len(numbers)
    print(f"SROIE {args.first:03d}-{args.last:03d} every {args.step}th: {count} receipts; "
          f"detector side {engine.det_side}, rec batch {engine.rec_batch}")
    for name, seconds in spent.items():
        print(f"  {name:20s} {seconds / count:.2f} CPU s per receipt")
    per_line = spent["reader's engine"] / max(lines, 1) * 1000
    print(f"  lines recognised     {lines / count:.0f} per receipt "
          f"(the engine's call: {per_line:.0f} ms a line, detection included)")
    if engine.tiered is not None and engine.tiered.lines:
        t = engine.tiered
        print(f"  read again by small  {t.again / t.lines:.0%} of the lines tiny read first")
    else:
        print("  every line read by small (no tiny first)")


if __name__ == "__main__":
    main()
