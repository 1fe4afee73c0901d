"""Receipt reader benchmark: per-field accuracy and CPU time per receipt.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/receipts.py --n 200 [--seed 1000] [--rotate]
    OMP_THREAD_LIMIT=1 .venv/bin/python bench/receipts.py --sroie DIR --first 150 --last 499
    .venv/bin/python bench/receipts.py --sroie DIR --text-only     # extraction alone

Receipts are rendered by tests/receiptgen.py (Japanese and English, photos on a table and
scans), or read from an ICDAR 2019 SROIE folder (``img/NNN.jpg``, ``key/NNN.json`` with company,
date, total; ``box/NNN.csv`` with the text lines). Receipts numbered below 150 are kept aside
for measuring: the bench refuses them and never opens them. It fetches nothing.

``--rotate`` reads each receipt also turned 90, 180 and 270 degrees (no EXIF: the pixels turned);
``--photo SEED`` reads each SROIE scan as a phone photo of it instead: the paper at PHOTO_SIDE
pixels, lying tilted on a table, in perspective, lit unevenly, blurred, noisy and saved as JPEG
(tests/receiptgen.py's ``photograph``, seeded by SEED and the receipt's number);
``--text-only`` gives the reader SROIE's ground-truth text lines instead of OCR, to measure the
field extraction alone. ``--ocr-cache DIR`` keeps each receipt's OCR words (and paper quality)
in DIR and reads them back on the next run, so a change to the field rules is measured on the
same OCR in seconds; its times are then the extraction's alone (the line says so).
Prints figures; never passes or fails on time. "cpu" is the CPU time of
this process and its finished children (Tesseract) per receipt, with one thread per engine
(onnxruntime intra-op threads 1, OMP_THREAD_LIMIT=1 for Tesseract): one core's work, steady on a
shared machine; "wall" is the elapsed time.
"""

from __future__ import annotations

# ruff: noqa: E402  (the imports follow the sys.path fix below)
import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal, InvalidOperation
from pathlib import Path

# run as a script, this folder comes first on sys.path, where a bench named like a standard
# module would shadow it: the project's root takes its place
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from PIL import Image
from rapidfuzz import fuzz

from bot.receipts import reread as RR
from bot.receipts.layout import group_rows
from bot.receipts.model import Receipt
from bot.receipts.paper import Quality
from bot.receipts.reader import (
    _one_reading,
    look_again,
    prepare_and_read,
    read_fields,
    read_receipt,
)
from bot.vision.ocr import OcrReader
from bot.vision.ocr_words import Word
from bot.vision.rapid import DET_SIDE, REC_BATCH, RapidEngine

FIELDS = ("total", "date", "merchant", "category", "currency", "payment_method", "tax",
          "tax_rate", "invoice_number")
TARGETS = {"total": 0.98, "date": 0.98, "currency": 0.98, "merchant": 0.90,
           "payment_method": 0.90, "category": 0.90}
SROIE_FIELDS = ("total", "date", "merchant")
FIRST_ALLOWED = 150  # SROIE receipts 000-149 are kept for measuring: never opened here
# Blind sets: Malaysian slips as text lines with keys, in SROIE's layout, each written by
# someone who had not read the reader's code (bench/data/blind/README.md)
BLIND = Path(__file__).parent / "data" / "blind"
BLIND_SETS = {"dev": 9999, "measure": 9999}  # the last receipt number of each
TURNS = (90, 180, 270)  # degrees clockwise
PHOTO_SIDE = 2000  # a receipt's long side in a phone photo of it (``--photo``), in pixels


@dataclass(frozen=True)
class Case:
    name: str
    lang: str
    image: Image.Image | None
    truth: dict[str, object]  # field -> expected value (only the fields this set knows)
    boxes: tuple[Word, ...] = ()  # SROIE's ground-truth text lines with their boxes


def _norm(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def correct(field: str, got: Receipt, expected: object) -> bool:
    value = getattr(got, field)
    if field == "merchant":
        return expected is not None and fuzz.ratio(_norm(value), _norm(expected)) >= 85
    if field == "total" and isinstance(value, Decimal):
        value = abs(value)  # a refund's total is negative; the keys print the amount
    return bool(value == expected)


def rendered(n: int, seed: int, lang: str | None) -> Iterator[Case]:
    from tests.receiptgen import generate

    for s in range(seed, seed + n):
        g = generate(s, lang=lang)
        truth = {f: getattr(g.truth, f) for f in FIELDS}
        yield Case(f"seed {s} {g.lang} {g.date_form} photo={g.photo}", g.lang, g.image, truth)


def photographed(scan: Image.Image, seed: int) -> Image.Image:
    """A phone photo of a scanned receipt: the scan at PHOTO_SIDE (a larger one scaled down),
    then tests/receiptgen.py's table, tilt, perspective, light, blur, noise and JPEG."""
    import random

    from tests.receiptgen import photograph

    scale = min(1.0, PHOTO_SIDE / max(scan.size))
    if scale < 1:
        scan = scan.resize((round(scan.width * scale), round(scan.height * scale)),
                           Image.Resampling.BILINEAR)
    return photograph(scan, random.Random(seed))


def sroie_numbers(folder: Path, first: int, last: int, step: int = 1,
                  images: bool = True) -> list[int]:
    """The receipt numbers in ``folder``/img (``key`` where no image is read) between ``first``
    and ``last``; refuses (exits) when ``first`` is below FIRST_ALLOWED, and skips any such
    file whatever the range."""
    if first < FIRST_ALLOWED:
        sys.exit(f"refused: SROIE receipts below {FIRST_ALLOWED:03d} are kept for measuring "
                 "and are never read by this bench")
    numbers = []
    sub, pattern = ("img", "*.jpg") if images else ("key", "*.json")
    for path in sorted((folder / sub).glob(pattern), key=lambda p: (len(p.stem), p.stem)):
        if path.stem.isdigit() and FIRST_ALLOWED <= first <= int(path.stem) <= last:
            numbers.append(int(path.stem))
    if not numbers:
        sys.exit(f"no receipts {first:03d}-{last:03d} under {folder / sub}")
    return numbers[::step]


def sroie(folder: Path, first: int, last: int, step: int, *, images: bool) -> Iterator[Case]:
    """The receipts of an SROIE-style folder; where it holds ``category.json`` (number ->
    category, the blind sets' labels), the category is scored too."""
    labels = category_labels(folder)
    for number in sroie_numbers(folder, first, last, step, images):
        stem = f"{number:03d}"
        key = json.loads((folder / "key" / f"{stem}.json").read_text(encoding="utf-8"))
        truth = {"total": sroie_amount(key.get("total", "")),
                 "date": sroie_date(key.get("date", "")),
                 "merchant": key.get("company") or None}
        if labels:
            truth["category"] = labels.get(stem)
        box = folder / "box" / f"{stem}.csv"
        boxes = tuple(_box_words(box.read_text(encoding="utf-8", errors="replace"))
                      if box.exists() else ())
        image = None
        if images:
            with Image.open(folder / "img" / f"{stem}.jpg") as img:
                image = img.convert("RGB")
        lang = "ja" if any(_KANA.search(w.text) for w in boxes) else "en"
        yield Case(f"sroie {stem}", lang, image, truth, boxes)


_KANA = re.compile(r"[\u3040-\u30ff]")  # a Japanese slip (the blind ja sets) is read as one


def _number(name: str) -> int:
    """The receipt's number in a case's name ("sroie 231" -> 231)."""
    return int(name.rsplit(" ", 1)[-1])


def category_labels(folder: Path) -> dict[str, str]:
    path = folder / "category.json"
    if not path.exists():
        return {}
    labels = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}


def _box_words(csv_text: str) -> list[Word]:
    """SROIE's box lines ("x1,y1,...,x4,y4,text") as words, to be grouped into printed rows as
    OCR's are (a label and its amount are separate boxes on one row)."""
    words = []
    for row in csv_text.splitlines():
        parts = row.split(",", 8)
        if len(parts) < 9 or not parts[8].strip():
            continue
        try:
            xs, ys = [int(v) for v in parts[0:8:2]], [int(v) for v in parts[1:8:2]]
        except ValueError:
            continue
        words.append(Word(parts[8].strip(), min(xs), min(ys), max(xs) - min(xs),
                          max(ys) - min(ys), 1.0))
    return words


def sroie_amount(text: str) -> Decimal | None:
    digits = re.sub(r"[^\d.]", "", text)
    try:
        return Decimal(digits) if digits else None
    except InvalidOperation:
        return None


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def sroie_date(text: str) -> Date | None:
    """SROIE's key dates: day first (Malaysia) unless the year leads or the day cannot be first
    ("12/13/2016"); ddmmyyyy and yyyymmdd; month names."""
    s = text.strip().strip("()").lower()
    try:
        if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", s):
            return Date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})", s):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            if int(m[2]) > 12 >= int(m[1]):
                return Date(year, int(m[1]), int(m[2]))
            return Date(year, int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(20\d{2})([01]\d)([0-3]\d)", s):
            return Date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{2})(\d{2})(\d{4})", s):
            return Date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})[ /-]([a-z]{3})[a-z]*[ /-](\d{2,4})", s):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return Date(year, _MONTHS[m[2]], int(m[1]))
        if m := re.fullmatch(r"([a-z]{3})[a-z]* (\d{1,2}),? (\d{4})", s):
            return Date(int(m[3]), _MONTHS[m[1]], int(m[2]))
    except (ValueError, KeyError):
        return None
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="rendered receipts")
    ap.add_argument("--seed", type=int, default=1000,
                    help="first seed (the bench's seeds differ from the tests')")
    ap.add_argument("--lang", choices=["ja", "en"], default=None)
    ap.add_argument("--sroie", type=Path, default=None,
                    help="an SROIE folder (img/, key/, box/) instead of rendered receipts")
    ap.add_argument("--first", type=int, default=150, help="first SROIE receipt (>= 150)")
    ap.add_argument("--last", type=int, default=499, help="last SROIE receipt")
    ap.add_argument("--step", type=int, default=1, help="every STEP-th SROIE receipt")
    ap.add_argument("--rotate", action="store_true",
                    help="also read each receipt turned 90, 180 and 270 degrees")
    ap.add_argument("--photo", type=int, default=None, metavar="SEED",
                    help="read each SROIE scan as a phone photo of it (seeded by SEED)")
    ap.add_argument("--text-only", action="store_true",
                    help="SROIE's ground-truth text lines instead of OCR (extraction alone)")
    ap.add_argument("--engine", choices=["default", "tesseract", "rapidocr"], default="default")
    ap.add_argument("--no-orient", action="store_true", help="skip the orientation check")
    ap.add_argument("--no-second-look", action="store_true",
                    help="do not read the total and date rows again (bot.receipts.reread)")
    ap.add_argument("--rec-batch", type=int, default=None,
                    help=f"RapidOCR lines recognised per batch (default {REC_BATCH})")
    ap.add_argument("--det-side", type=int, default=None,
                    help=f"RapidOCR detector's long side (default {DET_SIDE})")
    ap.add_argument("--no-tiers", action="store_true",
                    help="every line read by the small recogniser (not tiny first)")
    ap.add_argument("--blind", choices=sorted(BLIND_SETS), default=None,
                    help="the blind text sets in bench/data/blind (text lines, extraction "
                         "alone): dev may be looked into, measure gives figures only")
    ap.add_argument("--show", action="store_true", help="print each miss")
    ap.add_argument("--ocr-cache", type=Path, default=None,
                    help="keep OCR words here and reuse them (measures the field rules alone; "
                         "a photo's words are kept under its seed)")
    args = ap.parse_args()
    if args.blind is not None:
        if args.blind == "measure" and args.show:
            sys.exit("refused: the measure set gives figures only (its misses are never shown, "
                     "so no rule is made from them); use --blind dev to look into misses")
        args.sroie, args.text_only = BLIND / args.blind, True
        args.first, args.last = FIRST_ALLOWED, BLIND_SETS[args.blind]
    if args.photo is not None and (args.sroie is None or args.text_only):
        sys.exit("--photo needs --sroie with images (rendered receipts are photos already), "
                 "and no --text-only")
    if args.text_only and args.sroie is None:
        sys.exit("--text-only needs --sroie (rendered receipts have no separate text lines)")
    mapping = None if args.engine == "default" else {"ja": args.engine, "en": args.engine}
    if args.no_second_look:
        RR.MAX_ROWS = 0  # no row is ever picked for a second look
    engine = RapidEngine(det_side=args.det_side or DET_SIDE,
                         rec_batch=args.rec_batch or REC_BATCH, tiers=not args.no_tiers)
    reader = OcrReader(engines_by_lang=mapping, orient=not args.no_orient, rapid_engine=engine)
    if args.sroie is not None:
        cases: Iterator[Case] = sroie(args.sroie, args.first, args.last, args.step,
                                      images=not args.text_only)
        fields: tuple[str, ...] = SROIE_FIELDS + (
            ("category",) if category_labels(args.sroie) else ())
        label = f"blind {args.blind} set" if args.blind else (
            f"SROIE {args.first:03d}-{args.last:03d}" + (
                f" every {args.step}th" if args.step > 1 else "") + (
                f", photographed (seed {args.photo})" if args.photo is not None else ""))
    else:
        cases, fields = rendered(args.n, args.seed, args.lang), FIELDS
        label = f"rendered seeds {args.seed}-{args.seed + args.n - 1}"
    turns = (0, *TURNS) if args.rotate else (0,)
    hits: Counter[tuple[int, str, str]] = Counter()  # (turn, lang, field)
    counts: Counter[tuple[int, str]] = Counter()
    wall: dict[int, list[float]] = defaultdict(list)
    cpu: dict[int, list[float]] = defaultdict(list)
    for case in cases:
        for turn in turns:
            image = case.image  # photographed and turned before the clocks start
            if image is not None and not args.text_only:
                if args.photo is not None:
                    image = photographed(image, args.photo * 100_003 + _number(case.name))
                image = image.rotate(-turn, expand=True) if turn else image
            start, cpu0 = time.perf_counter(), _cpu()
            if args.text_only:
                rows = group_rows(list(case.boxes), case.lang)
                got = read_fields([r.text for r in rows], [r.height for r in rows],
                                  today=Date(2026, 11, 28))
            else:
                assert image is not None
                if args.ocr_cache is not None and _one_reading(reader):
                    got = cached_read(cache_file(args.ocr_cache, case.name, args.photo, turn),
                                      image, reader)
                else:
                    got = read_receipt(image, ocr=reader, today=Date(2026, 11, 28))
            wall[turn].append(time.perf_counter() - start)
            cpu[turn].append(_cpu() - cpu0)
            counts[(turn, case.lang)] += 1
            for f in fields:
                ok = correct(f, got, case.truth[f])
                hits[(turn, case.lang, f)] += ok
                if not ok and args.show:
                    print(f"{case.name} turned {turn}: {f}: got {getattr(got, f)!r} "
                          f"truth {case.truth[f]!r}")
    source = "text lines (no OCR)" if args.text_only else (
        f"OCR {reader.model_id} (detector side {engine.det_side}, rec batch {engine.rec_batch}"
        f", {_tiers(engine)})")
    if args.ocr_cache is not None and not args.text_only:
        source += f" (cached in {args.ocr_cache}: times are extraction only where it was hit)"
    orient = "n/a" if args.text_only else "off" if args.no_orient else "on"
    if not args.text_only:
        orient += "; second look " + ("off" if args.no_second_look else "on")
    print(f"{label}; {source}; orientation {orient}; "
          f"OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}; "
          f"load average {os.getloadavg()[0]:.2f}")
    langs = sorted({lang for _, lang in counts})
    for turn in turns:
        n = sum(counts[(turn, lang)] for lang in langs)
        print(f" turned {turn:3d} degrees: {n} receipts "
              f"({', '.join(f'{lg} {counts[(turn, lg)]}' for lg in langs)})")
        for f in fields:
            total = sum(hits[(turn, lg, f)] for lg in langs)
            per = "  ".join(f"{lg} {hits[(turn, lg, f)] / counts[(turn, lg)]:.3f}"
                            for lg in langs if counts[(turn, lg)])
            target = TARGETS.get(f)
            mark = "" if target is None else (" ok" if total / n >= target else f" below {target}")
            print(f"   {f:15s} {total / n:.3f}  ({per}){mark}")
        for name, values in (("cpu", cpu[turn]), ("wall", wall[turn])):
            q = statistics.quantiles(values, n=20) if len(values) > 1 else [values[0]] * 19
            print(f"   {name} s per receipt: p50 {statistics.median(values):.2f}, "
                  f"p95 {q[18]:.2f}")


def cache_file(folder: Path, case: str, photo: int | None, turn: int) -> Path:
    """Where ``cached_read`` keeps a case's OCR words: a photo's under its seed."""
    name = f"{case}{'' if photo is None else f' photo {photo}'} {turn}"
    return folder / (re.sub(r"[^\w.-]+", "_", name) + ".json")


def cached_read(path: Path, image: Image.Image, reader: OcrReader) -> Receipt:
    """``read_receipt`` through a cache of the OCR readings: the same steps (upright, flatten,
    one reading, a second look at the total and date rows where needed), the words of the
    page and of each band read again kept as JSON in ``path``."""
    # only when something must really be read
    prepared: list[tuple[Image.Image, Quality, list[Word]]] = []

    def page() -> Image.Image:
        if not prepared:
            prepared.append(prepare_and_read(image, reader, "ja"))
        return prepared[0][0]

    fresh = not path.exists()
    if fresh:
        page()
        _, quality, words = prepared[0]
        data = {"words": _dump(words),
                "quality": {"sharpness": quality.sharpness, "brightness": quality.brightness,
                            "short_side": quality.short_side, "paper": quality.paper},
                "bands": {}}
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    bands = data.setdefault("bands", {})
    known = len(bands)

    def band(y0: int, y1: int) -> list[Word]:
        key = f"{y0},{y1}"
        if key not in bands:
            bands[key] = _dump(RR.band_reader(page(), reader.words, "ja")(y0, y1))
        return [Word(*w) for w in bands[key]]

    got = look_again([Word(*w) for w in data["words"]], "ja", band,
                     quality=Quality(**data["quality"]), today=Date(2026, 11, 28))
    if fresh or len(bands) != known:  # a hit writes nothing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")
    return got


def _tiers(engine: RapidEngine) -> str:
    """Which recognisers read, and how many lines small read again."""
    tiered = engine.tiered
    if tiered is None:
        return "small only"
    share = f"{tiered.again / tiered.lines:.0%}" if tiered.lines else "none"
    return f"tiny first, {share} of {tiered.lines} lines read again by small"


def _dump(words: list[Word]) -> list[list[object]]:
    return [[w.text, w.left, w.top, w.width, w.height, w.conf] for w in words]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract runs as a child): the
    time one core spends per receipt, whatever else shares the machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
