"""Vision-model throughput: one-by-one generate() vs one batched generate() vs the engine.

A model of SmolVLM-256M-Instruct's shape (Idefics3: SmolLM2-135M-like text tower, SigLIP-base/16
at 512 px vision tower, random weights, built here: nothing is downloaded) answers N requests of
one 512x512 photo each with exactly --tokens new tokens (64 on a GPU; 16 by default on a CPU, to
keep the default run near three minutes on two cores). Prints figures only.

    .venv/bin/python bench/vlm.py                          # CPU: --n 4, 16 tokens
    .venv/bin/python bench/vlm.py --tokens 64              # CPU, the full 64 tokens (slow)
    .venv/bin/python bench/vlm.py --n 16 --device cuda     # GPU: 64 tokens
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image as PILImage
from skimage import data

from bot.models import AnswerRequest, Image
from bot.vision.prompts import build_messages
from bot.vision.transformers_engine import TransformersEngine
from tests import tinyvlm

QUESTIONS = ["what does the sign say ?", "describe this photo please", "which cup is red ?",
             "what is in the picture ?", "read the text", "is there a cat ?"]


def _requests(n: int, tokens: int) -> list[AnswerRequest]:
    buf = io.BytesIO()
    PILImage.fromarray(data.astronaut()).save(buf, "PNG")  # 512 x 512
    raw = buf.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    image = Image(0, raw, "image/png", 512, 512, "png", digest, digest)
    return [AnswerRequest(images=(image,), question=QUESTIONS[i % len(QUESTIONS)],
                          max_new_tokens=tokens) for i in range(n)]


def _raw_generate(engine: TransformersEngine, requests: list[AnswerRequest], tokens: int) -> None:
    import torch

    loaded = engine.load()
    processor, model = loaded.processor, loaded.model
    texts = [processor.apply_chat_template(build_messages(r), add_generation_prompt=True,
                                           tokenize=False) for r in requests]
    images = [[PILImage.open(io.BytesIO(i.data)).convert("RGB") for i in r.images]
              for r in requests]
    inputs = processor(text=texts, images=images, padding=True, return_tensors="pt")
    inputs = inputs.to(loaded.device)
    inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens,
                             do_sample=False)
    assert out.shape[1] - inputs["input_ids"].shape[1] == tokens


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4, help="concurrent requests (default 4)")
    parser.add_argument("--tokens", type=int, default=None,
                        help="new tokens per request (default 64 on GPU, 16 on CPU)")
    parser.add_argument("--device", default=None, help="cpu | cuda (default: cuda if present)")
    parser.add_argument("--window-ms", type=float, default=20.0, help="engine batch window")
    args = parser.parse_args()

    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.tokens is None:
        args.tokens = 64 if device.startswith("cuda") else 16
    with tempfile.TemporaryDirectory(prefix="miru-bench-vlm-") as tmp:
        started = time.perf_counter()
        folder = tinyvlm.build(tmp, tinyvlm.smolvlm_256m_shape(), stop_at_eos=False)
        engine = TransformersEngine(str(folder), local_files_only=True, device=device,
                                    max_new_tokens=args.tokens, batch_window_ms=args.window_ms,
                                    max_batch=max(args.n, 1), timeout_s=3600)
        loaded = engine.load()
        params = sum(p.numel() for p in loaded.model.parameters())
        print(f"model: SmolVLM-256M shape, {params / 1e6:.1f} M parameters, random weights, "
              f"{loaded.model.dtype} on {loaded.device} (torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads); built and loaded in "
              f"{time.perf_counter() - started:.1f} s")
        print(f"work: {args.n} requests x (one 512x512 image, {args.tokens} new tokens)")
        requests = _requests(args.n, args.tokens)
        _raw_generate(engine, requests[:1], 2)  # warm-up

        t0 = time.perf_counter()
        for request in requests:
            _raw_generate(engine, [request], args.tokens)
        _sync(loaded.device)
        seq = args.n / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        _raw_generate(engine, requests, args.tokens)
        _sync(loaded.device)
        batched = args.n / (time.perf_counter() - t0)

        async def concurrent() -> float:
            t = time.perf_counter()
            results = await asyncio.gather(*(engine.answer(r) for r in requests),
                                           return_exceptions=True)
            rate = args.n / (time.perf_counter() - t)
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                print(f"  engine: {len(failures)} of {args.n} requests failed: {failures[0]!r}")
            await engine.close()
            return rate

        eng = asyncio.run(concurrent())
        print(f"sequential generate(), batch 1 : {seq:7.3f} req/s  (x1.00)")
        print(f"one generate() over all {args.n:<3}    : {batched:7.3f} req/s  "
              f"(x{batched / seq:.2f})")
        print(f"engine, {args.n} concurrent callers  : {eng:7.3f} req/s  (x{eng / seq:.2f}); "
              f"batch sizes {engine.stats.sizes}")
        print(f"tokens/s: sequential {seq * args.tokens:.1f}, batched {batched * args.tokens:.1f}, "
              f"engine {eng * args.tokens:.1f}")
        print(f"engine / one batch: {eng / batched:.2f} (target >= 0.8)")
        import resource

        peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
        print(f"peak resident memory of this process: {peak_gib:.2f} GiB")


if __name__ == "__main__":
    main()
