"""Streaming bench: how soon the first text shows against the whole answer.

1. ``OpenAIEngine.stream`` against the local SSE stand-in (tests/openai_standin.py) sending a
   40-word answer word by word, ``--pause-ms`` apart: time to the first text and to the end.
2. ``TransformersEngine.stream`` on the tiny offline model (tests/tinyvlm.py), four requests
   gathered into one micro-batch: per request, time to its first text, its number of partial
   texts, and time to its end (the per-row streamer; before it, batched requests got one item).

    .venv/bin/python bench/stream.py [--pause-ms 50] [--tokens 24]

Prints figures; never passes or fails. Figures on shared cores are rough (load average shown).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.models import AnswerRequest, Image
from bot.vision.openai_engine import OpenAIEngine
from tests.openai_standin import OpenAIStandIn, words


def _image(array) -> Image:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(array).convert("RGB").save(buf, "PNG")
    raw = buf.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    return Image(0, raw, "image/png", array.shape[1], array.shape[0], "png", digest, digest)


async def _timed(stream) -> tuple[float, int, float]:
    start = time.perf_counter()
    first, count = 0.0, 0
    async for _ in stream:
        count += 1
        if count == 1:
            first = time.perf_counter() - start
    return first, count, time.perf_counter() - start


async def server_stream(pause_ms: float) -> None:
    from skimage import data

    server = await OpenAIStandIn().start()
    text = " ".join(f"word{n}" for n in range(40))
    server.script = [words(text, pause_s=pause_ms / 1000)]
    engine = OpenAIEngine(server.base_url, "", "stand-in", timeout_s=30, retries=1)
    try:
        request = AnswerRequest(images=(_image(data.coffee()),), question="q")
        first, count, total = await _timed(engine.stream(request))
    finally:
        await engine.close()
        await server.close()
    print(f"openai SSE, 40 words {pause_ms:g} ms apart: first text {first * 1000:.0f} ms, "
          f"{count} texts, whole answer {total * 1000:.0f} ms")


async def batched_stream(tokens: int) -> None:
    from skimage import data

    from bot.vision.transformers_engine import TransformersEngine
    from tests import tinyvlm

    with tempfile.TemporaryDirectory() as folder:
        model = str(tinyvlm.build(Path(folder)))
        engine = TransformersEngine(model, local_files_only=True, device="cpu",
                                    max_new_tokens=tokens, batch_window_ms=200, max_batch=8)
        images = [_image(a) for a in (data.astronaut(), data.coffee(), data.chelsea(),
                                      data.rocket())]
        requests = [AnswerRequest(images=(img,), question="what does the sign say ?")
                    for img in images]
        try:
            await engine.answer(requests[0])  # load the model first
            results = await asyncio.gather(*(_timed(engine.stream(r)) for r in requests))
        finally:
            await engine.close()
    print(f"transformers tiny model, 4 requests in one batch (sizes {engine.stats.sizes[1:]}), "
          f"up to {tokens} tokens:")
    for n, (first, count, total) in enumerate(results, start=1):
        print(f"  request {n}: first text {first * 1000:.0f} ms, {count} texts, "
              f"end {total * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pause-ms", type=float, default=50.0)
    parser.add_argument("--tokens", type=int, default=24)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    asyncio.run(server_stream(args.pause_ms))
    asyncio.run(batched_stream(args.tokens))


if __name__ == "__main__":
    main()
