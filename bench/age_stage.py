"""Age-signal bench with a model: recall and false alarms of the grammar alone and of the grammar
with the model's second stage (``bot.vision.age_question``), on the labelled phrase sets of
``bench/cues.py``, and the question's time per phrase (p50, p95).

Each phrase is the message of a request whose image (a benign photo, scikit-image's coffee)
carries a sexual signal in the policy's eyes, which is where the stage asks: the grammar decides
first; where it finds nothing, the model is asked, and its yes counts as caught (a timeout, an
error or an unreadable answer counts as held, reported on its own line). On the request path the
model is asked only about images with a sexual signal, so these rates are of the stage where it
runs, not of all traffic.

    .venv/bin/python bench/age_stage.py --base-url http://127.0.0.1:8000/v1 \
        --model Qwen/Qwen2.5-VL-3B-Instruct
    .venv/bin/python bench/age_stage.py --transformers /models/SmolVLM-256M-Instruct --set blind5

Prints figures; never passes or fails. Needs a model: without one it says so and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cues import _rate, _sets
from bot.models import Image
from bot.vision.age_question import ask_age
from bot.vision.base import Engine
from config.policy import PolicyConfig
from safety.cues import find_minor_cues


def _coffee() -> Image:
    from PIL import Image as PILImage
    from skimage import data

    buf = io.BytesIO()
    PILImage.fromarray(data.coffee()).save(buf, "JPEG", quality=90)
    return Image(0, buf.getvalue(), "image/jpeg", 600, 400, "jpeg", "0" * 64, "0" * 64)


def _engine(args: argparse.Namespace) -> Engine | None:
    if args.base_url:
        from bot.vision.openai_engine import OpenAIEngine

        return OpenAIEngine(args.base_url, args.api_key, args.model, timeout_s=args.timeout,
                            retries=1)
    if args.transformers:
        from bot.vision.transformers_engine import TransformersEngine

        return TransformersEngine(args.transformers, local_files_only=True,
                                  timeout_s=args.timeout, max_new_tokens=200)
    return None


async def run(engine: Engine, name: str, phrases, timeout_s: float) -> None:
    cues = PolicyConfig().cues
    image = _coffee()
    rows, times = [], []
    for lang, fires, text in phrases:
        grammar = bool(find_minor_cues(text, cues))
        model = None
        if not grammar:
            started = time.perf_counter()
            model = (await ask_age(engine, image, text, timeout_s=timeout_s)).minor
            times.append(time.perf_counter() - started)
        rows.append((lang, fires, grammar, model))
    for lang in ("en", "ja", "all"):
        mine = [r for r in rows if lang in ("all", r[0])]
        pos, neg = [r for r in mine if r[1]], [r for r in mine if not r[1]]
        alone = (sum(r[2] for r in pos), sum(r[2] for r in neg))
        staged = (sum(r[2] or r[3] is True for r in pos), sum(r[2] or r[3] is True for r in neg))
        held = sum(r[3] is None and not r[2] for r in mine)
        print(f"{name:8} {lang:3} grammar: recall {_rate(alone[0], len(pos))}, false alarms "
              f"{_rate(alone[1], len(neg))} | + model: recall {_rate(staged[0], len(pos))}, "
              f"false alarms {_rate(staged[1], len(neg))}, no answer (held) {held}")
    if times:
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(f"{name:8} model question: p50 {statistics.median(times):.2f} s, "
              f"p95 {p95:.2f} s over {len(times)}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="", help="an OpenAI-compatible server (…/v1)")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--model", default="Qwen/Qwen2.5-VL-3B-Instruct")
    parser.add_argument("--transformers", default="", help="a local transformers model")
    parser.add_argument("--set", default="blind5", help="phrase set of bench/cues.py")
    parser.add_argument("--timeout", type=float, default=15.0, help="per question, seconds")
    args = parser.parse_args()
    engine = _engine(args)
    if engine is None:
        print("no model: give --base-url (and --model) or --transformers", file=sys.stderr)
        return 2
    try:
        await run(engine, args.set, _sets()[args.set], args.timeout)
    finally:
        await engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
