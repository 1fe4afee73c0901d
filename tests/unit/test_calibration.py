"""Calibration arithmetic on hand-made scores (the CLI's run on real gates:
tests/integration/test_calibrate_cli.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from safety.calibration import Sample, for_target, rates

UNSAFE = [0.9, 0.6, 0.2]
SAFE = [0.1, 0.5, 0.7, 0.05]


def _samples() -> list[Sample]:
    return [Sample(True, s) for s in UNSAFE] + [Sample(False, s) for s in SAFE]


def test_counts_and_rates_at_a_threshold():
    (row,) = rates(_samples(), [0.5])
    assert (row.tp, row.fn, row.fp, row.tn) == (2, 1, 2, 2)  # 0.5 itself counts as flagged
    assert row.recall == 2 / 3 and row.fpr == 0.5


def test_the_threshold_for_a_target_fpr_is_the_lowest_that_reaches_it():
    rows = rates(_samples(), [0.05, 0.5, 0.55, 0.75, 0.95])
    best = for_target(rows, 0.25)
    assert best is not None and best.threshold == 0.55
    assert (best.recall, best.fpr) == (2 / 3, 0.25)
    assert for_target(rows, 0.0).threshold == 0.75  # nothing safe at or above 0.75
    assert for_target(rates(_samples(), [0.05]), 0.1) is None


def test_empty_classes_give_no_rate():
    (row,) = rates([Sample(True, 0.3)], [0.2])
    assert row.recall == 1.0 and row.fpr is None
    assert for_target([row], 1.0) is None
    (row,) = rates([], [0.2])
    assert row.recall is None and row.fpr is None


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), max_size=40))
def test_counts_add_up_and_rates_fall_as_the_threshold_rises(pairs):
    samples = [Sample(u, s) for u, s in pairs]
    rows = rates(samples, [0.1, 0.3, 0.5, 0.7, 0.9])
    n_unsafe = sum(u for u, _ in pairs)
    for row in rows:
        assert row.tp + row.fn == n_unsafe and row.fp + row.tn == len(pairs) - n_unsafe
    for low, high in itertools.pairwise(rows):
        assert high.tp <= low.tp and high.fp <= low.fp
