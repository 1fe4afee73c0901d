"""Minor-cue bench: recall and false-alarm rate of ``safety.cues.find_minor_cues`` with the default
policy's cue lists, on the labelled phrases in ``tests/unit/cue_phrases_dev.py`` (asserted by the
unit tests) and ``tests/unit/cue_phrases_heldout.py``: ``HELD_OUT`` (written before tuning, never
asserted) and ``HELD_OUT_LATE`` (written after tuning, committed before its first run).

    .venv/bin/python bench/cues.py            # figures per set and language
    .venv/bin/python bench/cues.py --misses   # also list each wrong phrase

Recall: share of phrases that should fire and do. False alarms: share of phrases that should not
fire and do. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.policy import MinorCues
from safety.cues import find_minor_cues
from tests.unit.cue_phrases_dev import DEV
from tests.unit.cue_phrases_heldout import HELD_OUT, HELD_OUT_LATE

Phrase = tuple[str, bool, str]


def _rate(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "   n/a"


def report(name: str, phrases: tuple[Phrase, ...], cues: MinorCues, show: bool) -> None:
    """Print one line per language (and one for both) for one phrase set."""
    for lang in ("en", "ja", "all"):
        mine = [p for p in phrases if lang in ("all", p[0])]
        fired = [(p, bool(find_minor_cues(p[2], cues))) for p in mine]
        pos = [f for p, f in fired if p[1]]
        neg = [f for p, f in fired if not p[1]]
        print(f"{name:9} {lang:4} recall {_rate(sum(pos), len(pos))}   "
              f"false alarms {_rate(sum(neg), len(neg))}")
        if show and lang != "all":
            for (_, want, text), got in fired:
                if want != got:
                    kind = "miss" if want else "false alarm"
                    print(f"    {kind:11} {text!r} -> {find_minor_cues(text, cues)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list each wrong phrase")
    args = parser.parse_args()
    cues = MinorCues()
    report("dev", DEV, cues, args.misses)
    report("held-out", HELD_OUT, cues, args.misses)
    report("late", HELD_OUT_LATE, cues, args.misses)


if __name__ == "__main__":
    main()
