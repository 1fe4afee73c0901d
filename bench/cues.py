"""Minor-cue bench: recall and false-alarm rate of ``safety.cues.find_minor_cues`` with the default
policy's cue lists, on the labelled phrases in ``tests/unit/cue_phrases_dev.py`` (asserted by the
unit tests), ``tests/unit/cue_phrases_heldout.py``: ``HELD_OUT`` (written before tuning, never
asserted) and ``HELD_OUT_LATE`` (written after tuning, committed before its first run; both now
development data), and ``tests/unit/cue_phrases_blind.py``: ``BLIND`` (160 chat messages written
before the second round of grammar work read the matcher, never asserted; its labelling rule is
in its docstring), and ``tests/unit/cue_phrases_blind2.py``: ``PHRASES`` (200 chat messages, 100
English and 100 Japanese, half positive, written and committed before the third round of grammar
work read the matcher; same labelling rule; run once when that work was done), and
``tests/unit/cue_phrases_blind3.py``: ``EN``/``JA`` (129 phrases written by a helper that never
read the matcher or the earlier sets, run once after the fourth round; first run 2026-11-28:
en recall 91.2% (31/34), false alarms 3.3% (1/30); ja 93.9% (31/33), 3.1% (1/32); its misses and
false alarms were then fixed by category in the fourth round, so it is development data now), and
``tests/unit/cue_phrases_blind4.py``: ``EN``/``JA`` (140 phrases, 70 per language, half positive,
written 2026-11-28 by a helper that never read the matcher, the bench, the policy or the earlier
sets; first run 2026-11-29, once, after the fourth round and without tuning on it: en recall
85.7% (30/35), false alarms 11.4% (4/35); ja 85.7% (30/35), 8.6% (3/35); both 85.7% (60/70),
10.0% (7/70); its misses and false alarms were then fixed by category in the fifth round, so it
is development data now), and ``tests/unit/cue_phrases_blind5.py``: ``EN``/``JA`` (140 phrases,
written 2026-11-29 the same way; first run 2026-11-29, once, after the fifth round: en recall
74.3% (26/35), false alarms 8.6% (3/35); ja 94.3% (33/35), 5.7% (2/35); both 84.3% (59/70),
7.1% (5/70); not tuned on yet), and ``tests/unit/cue_phrases_dev6.py`` (ceremonies,
milestones, school events, youth sports and their look-alikes: ages of things, animals and
adults; asserted by the unit tests), and ``tests/unit/cue_phrases_blind7.py``: ``EN``/``JA`` (255
phrases, 130 English and 125 Japanese, written blind 2026-12-06; first run, once, before round
seven: recall 75.8% (94/124), false alarms 15.3% (20/131); round seven was tuned on it by class,
so it is development data now), and ``tests/unit/cue_phrases_blind8.py`` (256 phrases written
blind 2026-12-06; first run, once, after round seven: recall 69.7% (92/132), false alarms
14.5% (18/124); not tuned on). Also times one 18 kB message.

    .venv/bin/python bench/cues.py              # figures per set and language
    .venv/bin/python bench/cues.py --misses     # also list each wrong phrase
    .venv/bin/python bench/cues.py --variants   # figures per disguise over every set

Recall: share of phrases that should fire and do. False alarms: share of phrases that should not
fire and do. Prints figures; never passes or fails.

``--variants`` rewrites every phrase of every set above with each disguise of
``bench/cue_variants.py`` (look-alike Cyrillic/Greek letters, combining marks, strikethrough, old
kanji, a space or a no-break space inside a word, and for comparison full-width letters and
zero-width spaces, which were caught before). The rewriting is deterministic: each phrase's
choices come from a ``random.Random`` seeded with the disguise's name and the phrase; the words
that carry a cue (changing one to "xx" changes what the plain phrase gives) are always
disguised, every other word with probability 1/2, at least one word per phrase. Per disguise it
prints, over the phrases the disguise changed: caught (positives the plain matcher finds that
still fire) and false alarms (negatives the plain matcher passes that now fire).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cue_variants import DISGUISES, cue_words, disguise
from config.policy import MinorCues
from safety.cues import find_minor_cues
from tests.unit.cue_phrases_blind import BLIND
from tests.unit.cue_phrases_blind2 import PHRASES as BLIND2
from tests.unit.cue_phrases_blind3 import EN as BLIND3_EN
from tests.unit.cue_phrases_blind3 import JA as BLIND3_JA
from tests.unit.cue_phrases_blind4 import EN as BLIND4_EN
from tests.unit.cue_phrases_blind4 import JA as BLIND4_JA
from tests.unit.cue_phrases_blind5 import EN as BLIND5_EN
from tests.unit.cue_phrases_blind5 import JA as BLIND5_JA
from tests.unit.cue_phrases_blind7 import EN as BLIND7_EN
from tests.unit.cue_phrases_blind7 import JA as BLIND7_JA
from tests.unit.cue_phrases_blind8 import EN as BLIND8_EN
from tests.unit.cue_phrases_blind8 import JA as BLIND8_JA
from tests.unit.cue_phrases_dev import DEV
from tests.unit.cue_phrases_dev6 import PHRASES as DEV6
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


def _time_long_message(cues: MinorCues) -> None:
    """Best of five runs on an 18 kB chat log that mixes both languages and many near-cues."""
    line = ("minor fixes in build 14, 12 year old scotch at 7th floor, 中2階のカフェ 15時, "
            "she is 5 foot 2, JK flip flop, 築12年, kid gloves; ")
    text = (line * (18_000 // len(line) + 1))[:18_000]
    best = min(_elapsed(text, cues) for _ in range(5))
    print(f"time      18 kB message ({len(text.encode())} bytes UTF-8): {1000 * best:.1f} ms")


def _elapsed(text: str, cues: MinorCues) -> float:
    start = time.perf_counter()
    find_minor_cues(text, cues)
    return time.perf_counter() - start


def _sets() -> dict[str, tuple[Phrase, ...]]:
    pairs = (("en", BLIND3_EN), ("ja", BLIND3_JA)), (("en", BLIND4_EN), ("ja", BLIND4_JA)), (
        ("en", BLIND5_EN), ("ja", BLIND5_JA)), (("en", BLIND7_EN), ("ja", BLIND7_JA)), (
        ("en", BLIND8_EN), ("ja", BLIND8_JA))
    b3, b4, b5, b7, b8 = (tuple((lang, fires, text) for lang, part in sets for text, fires in part)
                  for sets in pairs)
    return {
        "dev": DEV, "held-out": HELD_OUT, "late": HELD_OUT_LATE,
        "blind": tuple((lang, fires, text) for text, lang, fires in BLIND),
        "blind2": tuple((lang, fires, text) for text, lang, fires in BLIND2),
        "blind3": b3, "blind4": b4, "blind5": b5, "dev6": DEV6, "blind7": b7,
        "blind8": b8,
    }


def variants(cues: MinorCues) -> None:
    """Caught and false-alarm rates per disguise over every set (see the module docstring)."""
    def find(text: str) -> list[str]:
        return find_minor_cues(text, cues)

    phrases = [p for ps in _sets().values() for p in ps]
    plain = [bool(find(text)) for _, _, text in phrases]
    carriers = [cue_words(text, find) if fired else set()
                for (_, _, text), fired in zip(phrases, plain, strict=True)]
    print(f"variants over {len(phrases)} phrases (all sets); only phrases a disguise changed count")
    for name in DISGUISES:
        caught = missed = alarms = quiet = 0
        for (_, want, text), fired, cw in zip(phrases, plain, carriers, strict=True):
            if want != fired:
                continue  # wrong already without a disguise: not the disguise's doing
            rewritten = disguise(name, text, cw)
            if rewritten == text:
                continue
            now = bool(find(rewritten))
            if want:
                caught, missed = caught + now, missed + (not now)
            else:
                alarms, quiet = alarms + now, quiet + (not now)
        print(f"{name:10} caught {_rate(caught, caught + missed)}   "
              f"false alarms {_rate(alarms, alarms + quiet)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list each wrong phrase")
    parser.add_argument("--variants", action="store_true",
                        help="figures per disguise (look-alikes, marks, old kanji, spaces)")
    args = parser.parse_args()
    cues = MinorCues()
    if args.variants:
        variants(cues)
        return
    for name, phrases in _sets().items():
        report(name, phrases, cues, args.misses)
    _time_long_message(cues)


if __name__ == "__main__":
    main()
