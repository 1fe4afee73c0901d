"""Screening bench: what a verdict costs next to NudeNet alone, on a 2000px and a 512px JPEG.

    .venv/bin/python bench/screen.py               # 15 rounds
    .venv/bin/python bench/screen.py --repeats 30 --photo chelsea

Per image size, median milliseconds of
  (d) decode         = Ingestor.decode alone (in-process for baseline JPEGs, else the pool)
  (a) verdict        = Ingestor.decode + Screener.screen
  (b) whole ingest   = (a) + Ingestor.process (the clean, face-blurred image the engines get)
  (c) NudeNet alone  = NudeDetector().detect(path) on the same file (it decodes the file itself)
and the ratios a/c and b/c (targets: a/c <= 1.0 at 2000px, <= 1.5 at 512px; b/c <= 2.0).
The three run interleaved, round by round, in one process, through all six orders in turn (what
runs right after the other NudeNet instance pays for a cold cache; always running a just after c
made a slower than b). Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nudenet import NudeDetector
from PIL import Image
from skimage import data

from bot.imaging.ingest import IngestLimits, Ingestor
from config.policy import ConsentMode, load_policy
from config.settings import Settings
from safety.build import build_screener
from safety.types import ScreenContext

SIZES = (2000, 512)
ORDERS = ["".join(p) for p in itertools.permutations("abc")]


def make_jpegs(folder: Path, photo: str) -> dict[int, Path]:
    source = Image.fromarray(getattr(data, photo)()).convert("RGB")
    paths = {}
    for size in SIZES:
        path = folder / f"{photo}-{size}.jpg"
        source.resize((size, size), Image.Resampling.LANCZOS).save(path, "JPEG", quality=90)
        paths[size] = path
    return paths


async def run(repeats: int, photo: str, fixed_order: bool = False) -> None:
    settings = Settings()
    t0 = time.perf_counter()
    screener = build_screener(settings, load_policy(settings.policy_file))
    detector = NudeDetector()
    print(f"models loaded in {time.perf_counter() - t0:.1f} s; versions {screener.versions}")
    ctx = ScreenContext(text="what is in this photo?", consent_mode=ConsentMode.BLUR)
    times: dict[tuple[int, str], list[float]] = defaultdict(list)
    gate_ms: dict[tuple[int, str], list[float]] = defaultdict(list)
    limits = IngestLimits.from_settings(settings)
    with tempfile.TemporaryDirectory() as tmp, Ingestor(limits) as ing:
        paths = make_jpegs(Path(tmp), photo)
        blobs = {size: path.read_bytes() for size, path in paths.items()}

        async def measure(kind: str, blob: bytes, path: str) -> dict[str, float]:
            """One measurement: "a" (with "d"), "b" or "c", in seconds; the verdict is kept."""
            nonlocal verdict
            start = time.perf_counter()
            if kind == "c":
                detector.detect(path)
                return {"c": time.perf_counter() - start}
            decoded = await ing.decode(blob)
            d = time.perf_counter() - start
            screened = await screener.screen([decoded], ctx)
            if kind == "a":
                verdict = screened
                return {"d": d, "a": time.perf_counter() - start}
            await ing.process(blob, decoded, blur=screened.faces(0))
            return {"b": time.perf_counter() - start}

        verdict = None
        for round_ in range(repeats + 2):  # the first two rounds warm up and are not counted
            # Whatever runs right after the other NudeNet instance pays for a cold cache: cycle
            # through all six orders so each follows each equally often (--fixed-order: a, b, c).
            order = "abc" if fixed_order else ORDERS[round_ % len(ORDERS)]
            for size in SIZES:
                measured: dict[str, float] = {}
                for kind in order:
                    measured.update(await measure(kind, blobs[size], str(paths[size])))
                if round_ >= 2:
                    for key, value in measured.items():
                        times[(size, key)].append(value * 1000)
                    for gate, ms in verdict.timings_ms.items():
                        gate_ms[(size, gate)].append(ms)
        action, inline = verdict.action, ing.inline_decodes
    print(f"photo {photo}, {repeats} rounds, {'fixed' if fixed_order else 'varied'} order, "
          f"last verdict {action}, {inline} decodes in-process; median ms:")
    print(f"{'size':>6} {'d decode':>9} {'a verdict':>10} {'b ingest':>10} {'c nudenet':>10} "
          f"{'a/c':>6} {'b/c':>6}")
    for size in SIZES:
        a, b, c, d = (statistics.median(times[(size, k)]) for k in "abcd")
        print(f"{size:>6} {d:>9.1f} {a:>10.1f} {b:>10.1f} {c:>10.1f} {a / c:>6.2f} {b / c:>6.2f}")
    for size in SIZES:
        parts = ", ".join(
            f"{gate} {statistics.median(values):.1f}"
            for (s, gate), values in gate_ms.items() if s == size
        )
        print(f"  screen parts at {size}px (median ms): {parts}")
    print("load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--photo", default="astronaut", choices=["astronaut", "coffee", "chelsea"])
    parser.add_argument("--fixed-order", action="store_true",
                        help="run a, b, c in that order every round (the bench's old behaviour)")
    args = parser.parse_args()
    asyncio.run(run(args.repeats, args.photo, args.fixed_order))


if __name__ == "__main__":
    main()
