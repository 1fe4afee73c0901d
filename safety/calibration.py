"""Calibration arithmetic: recall and false-positive rate per threshold, from labelled scores.

Pure (no I/O): ``bot/cli/calibrate.py`` runs the real gates on an operator's ``unsafe/`` and
``safe/`` folders and hands the scores here. A score at or above a threshold counts as flagged.
Recall = flagged unsafe / all unsafe; FPR = flagged safe / all safe (``None`` when a folder is
empty: no rate can be computed from nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True)
class Sample:
    unsafe: bool
    score: float


@dataclass(frozen=True)
class Row:
    threshold: float
    tp: int
    fn: int
    fp: int
    tn: int

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def fpr(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None


def rates(samples: Sequence[Sample], thresholds: Iterable[float] = DEFAULT_THRESHOLDS
          ) -> list[Row]:
    """One row per threshold (ascending)."""
    rows = []
    for t in sorted(set(thresholds)):
        tp = sum(1 for s in samples if s.unsafe and s.score >= t)
        fn = sum(1 for s in samples if s.unsafe and s.score < t)
        fp = sum(1 for s in samples if not s.unsafe and s.score >= t)
        tn = sum(1 for s in samples if not s.unsafe and s.score < t)
        rows.append(Row(t, tp, fn, fp, tn))
    return rows


def for_target(rows: Sequence[Row], target_fpr: float) -> Row | None:
    """The lowest threshold (so the highest recall) whose FPR is at most ``target_fpr``;
    ``None`` when none reaches it or there are no safe samples."""
    for row in sorted(rows, key=lambda r: r.threshold):
        if row.fpr is not None and row.fpr <= target_fpr:
            return row
    return None
