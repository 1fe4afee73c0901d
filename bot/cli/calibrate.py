"""``miru calibrate LABELLED_DIR [--target-fpr F] [--json]``: how the classifiers and the whole
policy do on an operator's own labelled images (``LABELLED_DIR/unsafe/`` and ``safe/``, kept
outside the repository), so thresholds can be tuned on real data.

Each file goes through the real ingest and gates (as ``miru screen``), once; per classifier
(NudeNet's exposed and covered classes, open_nsfw) recall and false-positive rate are printed
for every threshold, with the threshold that reaches the target FPR; the combined policy (as
configured, general audience, no message text) counts ``hold``/``block``/``block_and_preserve``
as flagged. Files that are not images are listed and left out of the rates. At most
``MAX_FILES`` files per folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.exitcodes import EX_DATAERR, EX_OK, EX_USAGE
from bot.errors import InputRejected
from bot.wiring import build_screening
from config.settings import Settings
from safety.calibration import DEFAULT_THRESHOLDS, Row, Sample, for_target, rates
from safety.policy import context_for

CLASSIFIERS = {"nudenet_exposed": "nudenet_exposed:0", "nudenet_covered": "nudenet_covered:0",
               "open_nsfw": "nsfw:0"}
FLAGGED = {"hold", "block", "block_and_preserve"}
MAX_FILES = 20_000


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


async def calibrate_command(root: str, *, target_fpr: float, as_json: bool,
                            settings: Settings) -> int:
    base = Path(root)
    folders = {label: base / label for label in ("unsafe", "safe")}
    missing = [str(p) for p in folders.values() if not p.is_dir()]
    if missing:
        print(f"miru: {', '.join(missing)} not found: LABELLED_DIR needs unsafe/ and safe/",
              file=sys.stderr)
        return EX_USAGE
    if not 0 <= target_fpr <= 1:
        print("miru: --target-fpr must be between 0 and 1", file=sys.stderr)
        return EX_USAGE
    listing = {label: _files(folder) for label, folder in folders.items()}
    if any(len(files) > MAX_FILES for files in listing.values()):
        print(f"miru: at most {MAX_FILES} files per folder", file=sys.stderr)
        return EX_USAGE
    ingestor, screener, policy = build_screening(settings)
    per_file: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    try:
        ctx = context_for(policy, "calibrate", "")
        for label, files in listing.items():
            for path in files:
                try:
                    decoded = await ingestor.decode(path.read_bytes(), name=path.name)
                except (InputRejected, OSError) as exc:
                    skipped.append({"file": str(path), "why": type(exc).__name__})
                    continue
                verdict = await screener.screen([decoded], ctx)
                per_file.append({"file": str(path), "unsafe": label == "unsafe",
                                 "action": verdict.action.value,
                                 **{name: float(verdict.scores.get(key, 0.0))
                                    for name, key in CLASSIFIERS.items()}})
    finally:
        ingestor.close()
    if not per_file:
        print("miru: no usable images in unsafe/ or safe/", file=sys.stderr)
        return EX_DATAERR
    report = build_report(per_file, target_fpr)
    report["skipped"] = skipped
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    return EX_OK


def _row(row: Row) -> dict[str, Any]:
    return {"threshold": row.threshold, "tp": row.tp, "fn": row.fn, "fp": row.fp, "tn": row.tn,
            "recall": row.recall, "fpr": row.fpr}


def build_report(per_file: list[dict[str, Any]], target_fpr: float) -> dict[str, Any]:
    classifiers = {}
    for name in CLASSIFIERS:
        rows = rates([Sample(f["unsafe"], f[name]) for f in per_file], DEFAULT_THRESHOLDS)
        best = for_target(rows, target_fpr)
        classifiers[name] = {"rows": [_row(r) for r in rows],
                             "for_target": _row(best) if best else None}
    flagged = [Sample(f["unsafe"], 1.0 if f["action"] in FLAGGED else 0.0) for f in per_file]
    (policy_row,) = rates(flagged, [1.0])
    return {"unsafe": sum(f["unsafe"] for f in per_file),
            "safe": sum(not f["unsafe"] for f in per_file), "target_fpr": target_fpr,
            "classifiers": classifiers, "policy": _row(policy_row), "files": per_file}


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{value * 100:5.1f}%"


def print_report(report: dict[str, Any]) -> None:
    print(f"{report['unsafe']} unsafe, {report['safe']} safe image(s); target FPR "
          f"{report['target_fpr'] * 100:g}%")
    for name, data in report["classifiers"].items():
        print(f"\n{name}: threshold  recall    FPR")
        for row in data["rows"]:
            print(f"  {row['threshold']:>17.2f}  {_pct(row['recall'])}  {_pct(row['fpr'])}")
        best = data["for_target"]
        print(f"  reaches the target at {best['threshold']:.2f} (recall {_pct(best['recall'])})"
              if best else "  no threshold reaches the target FPR")
    p = report["policy"]
    print(f"\ncombined policy (as configured): recall {_pct(p['recall'])}, "
          f"FPR {_pct(p['fpr'])}")
    for s in report["skipped"]:
        print(f"skipped (not a usable image): {s['file']} ({s['why']})")
