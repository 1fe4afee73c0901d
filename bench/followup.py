"""Follow-up bench (issue 19.2): screening a follow-up that uses many stored images.

    .venv/bin/python bench/followup.py                    # 100 stored images, 40,000 characters
    .venv/bin/python bench/followup.py --images 100 --chars 40000 --repeats 5 --old

Screens one follow-up (``Steps.screen``: the text's cues, every stored image decided again, the
audit record) with ``--images`` stored images (each with findings kept: a face, an open_nsfw
score, some OCR text) and a ``--chars``-character message, while a ticker on the same event loop
measures the longest stall. Prints the median and worst screening time and the longest stall.
``--old`` also times the way it was before issue 19.2 for comparison: the policy reading the whole
text again for every stored image, on the event loop. The cap on stored images
(``MIRU_MAX_STORED_IMAGES``) is not applied here: the bench screens all of them.
Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app
from bot.core.outcome import Outcome
from bot.models import Image, IncomingMessage, Turn
from config.settings import Settings
from safety import policy as policy_module
from safety.types import Finding

FILLER = ("Could you compare the lighting in these photos of the harbour and say which one "
          "has the better composition for the calendar? ")


def stored_images(n: int) -> list[Image]:
    images = []
    for k in range(n):
        sha = f"{k:064x}"
        images.append(Image(
            index=k, data=b"", mime="image/jpeg", width=1024, height=768, source_format="jpeg",
            original_sha256=sha, sha256=sha, findings=(
                Finding("face", "nudenet", 0.8, "FACE_FEMALE", (0.1, 0.1, 0.3, 0.3), k),
                Finding("nsfw_score", "open_nsfw", 0.05, "open_nsfw", image_index=k)),
            ocr_text=f"HARBOUR VIEW {k}\nOPEN 9AM - 5PM"))
    return images


async def ticker(stop: asyncio.Event, worst: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        worst[0] = max(worst[0], now - last)
        last = now


async def screen_once(app, message: IncomingMessage, stored: list[Image],
                      history: tuple[Turn, ...]) -> tuple[float, float]:
    out = Outcome(request_id=f"bench:{time.perf_counter_ns()}")
    out.stored, out.history = list(stored), history
    stop, worst = asyncio.Event(), [0.0]
    tick = asyncio.create_task(ticker(stop, worst))
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    await app.pipeline.steps.screen(message, out)
    elapsed = time.perf_counter() - start
    stop.set()
    await tick
    return elapsed, worst[0]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--chars", type=int, default=40_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--old", action="store_true", help="also time the pre-19.2 way")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), audit_path=Path(tmp) / "audit.jsonl",
                            vlm_backend="ocr", redis_url="redis://127.0.0.1:1/0",
                            audit_secret="bench-secret-0123456789abcdef-0123456789")
        app = build_app(settings, memory_only=True)
        text = (FILLER * (args.chars // len(FILLER) + 1))[:args.chars]
        message = IncomingMessage(platform="cli", workspace="bench", channel="cli",
                                  thread="t", message_id="m", user="u", text=text)
        history = tuple(Turn("user" if k % 2 == 0 else "assistant", FILLER * 4, (), 0.0)
                        for k in range(20))
        stored = stored_images(args.images)
        modes = [("now", None)]
        if args.old:
            modes.append(("before 19.2", "old"))
        print(f"follow-up: {args.images} stored images, {len(text):,}-character text, "
              f"{sum(t.role == 'user' for t in history)} earlier user turns")
        for name, mode in modes:
            restore = policy_module.decide
            if mode == "old":  # the policy read the whole text again per stored image
                def decide(findings, errors, ctx, policy, _real=restore):
                    return _real(findings, errors, replace(ctx, cues=None), policy)
                policy_module.decide = decide  # type: ignore[assignment]
            try:
                runs = [await screen_once(app, message, stored, history)
                        for _ in range(args.repeats)]
            finally:
                policy_module.decide = restore
            times = [r[0] for r in runs]
            stalls = [r[1] for r in runs]
            print(f"  {name:12} screen median {statistics.median(times) * 1000:8.1f} ms, "
                  f"worst {max(times) * 1000:8.1f} ms; longest loop stall "
                  f"{max(stalls) * 1000:8.1f} ms")
        await app.close()


if __name__ == "__main__":
    asyncio.run(main())
