"""A vision-language model run in-process with transformers, micro-batched.

``AutoProcessor`` + ``AutoModelForImageTextToText`` and the model's own chat template; the model
is loaded once, lazily, in the generation thread (CUDA in bfloat16 when available, else CPU in
float32). Concurrent requests are generated together with left padding; each streaming request
in a batch sees its own text grow (``_BatchStreamer`` splits every step's tokens by row). When a
batch fails, its requests are run again one by one, so one bad request (an undecodable image,
one that runs out of memory) fails alone.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import EngineBusy, EngineEmpty, EngineError, EngineUnavailable
from bot.models import Answer, AnswerRequest
from bot.vision.batching import BatchStats, MicroBatcher
from bot.vision.prompts import PromptLimits, build_messages


@dataclass(frozen=True)
class _Job:
    request: AnswerRequest
    on_text: Callable[[str], None] | None = None  # called from the worker thread


@dataclass(frozen=True)
class _Loaded:
    model: Any
    processor: Any
    device: str


def pick_device(device: str | None) -> tuple[str, Any]:
    """The device and dtype to load on: CUDA in bfloat16 when present, else CPU in float32."""
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    return device, dtype


class TransformersEngine:
    """Engine over a Hugging Face image-text-to-text model (SmolVLM, Qwen2.5-VL, …)."""

    name = "transformers"

    def __init__(
        self,
        model_id: str,
        *,
        revision: str = "main",
        local_files_only: bool = False,
        device: str | None = None,
        max_new_tokens: int = 256,
        batch_window_ms: float = 20.0,
        max_batch: int = 16,
        timeout_s: float = 120.0,
        limits: PromptLimits | None = None,
    ) -> None:
        self.model_id = model_id
        self.limits = limits or PromptLimits()
        self.revision = revision
        self.local_files_only = local_files_only
        self.max_new_tokens = max_new_tokens
        self.timeout_s = timeout_s
        self._device = device
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._batcher: MicroBatcher[_Job, Answer] = MicroBatcher(
            self._generate_batch, window_ms=batch_window_ms, max_batch=max_batch,
            thread_name="miru-vlm",
        )

    @property
    def stats(self) -> BatchStats:
        """Batch sizes so far (one entry per ``generate()`` group run)."""
        return self._batcher.stats

    def preflight(self) -> None:
        """Check, without loading weights, that the model's config can be read and is a
        vision-language model; raises ``EngineUnavailable`` with the reason."""
        from transformers import AutoConfig, AutoModelForImageTextToText

        try:
            config = AutoConfig.from_pretrained(
                self.model_id, revision=self.revision, local_files_only=self.local_files_only
            )
        except Exception as exc:  # OSError, ValueError, HTTP errors: all mean "cannot load"
            raise EngineUnavailable(f"cannot read {self.model_id}: {exc}") from exc
        if type(config) not in AutoModelForImageTextToText._model_mapping:
            raise EngineUnavailable(f"{self.model_id} is not an image-text-to-text model")

    def load(self) -> _Loaded:
        """Load processor and model once (thread-safe); later calls return the same objects."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _Loaded:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device, dtype = pick_device(self._device)
        kwargs = {"revision": self.revision, "local_files_only": self.local_files_only}
        try:
            processor = AutoProcessor.from_pretrained(self.model_id, **kwargs)
            model = AutoModelForImageTextToText.from_pretrained(
                self.model_id, dtype=dtype, **kwargs
            )
        except Exception as exc:
            raise EngineUnavailable(f"cannot load {self.model_id}: {exc}") from exc
        model.to(device).eval()  # type: ignore[arg-type]  # transformers types .to oddly
        processor.tokenizer.padding_side = "left"
        return _Loaded(model, processor, device)

    async def answer(self, request: AnswerRequest) -> Answer:
        return await self._submit(_Job(request))

    async def _submit(self, job: _Job) -> Answer:
        try:
            return await self._batcher.submit(job, self.timeout_s)
        except TimeoutError as exc:
            raise EngineBusy(f"no answer within {self.timeout_s}s") from exc

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[str] = asyncio.Queue()

        def on_text(text: str) -> None:
            loop.call_soon_threadsafe(updates.put_nowait, text)

        task = asyncio.ensure_future(self._submit(_Job(request, on_text)))
        last = ""
        try:
            while not task.done():
                getter = asyncio.ensure_future(updates.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    last = getter.result()
                    yield last
                else:
                    getter.cancel()
            answer = task.result()
        finally:
            if not task.done():
                task.cancel()
        if answer.text != last:
            yield answer.text

    async def close(self) -> None:
        await self._batcher.close()

    # Worker thread from here on.

    def _generate_batch(self, jobs: Sequence[_Job]) -> list[Answer | BaseException]:
        try:
            loaded = self.load()
        except EngineError as exc:
            return [exc] * len(jobs)
        results: list[Answer | BaseException] = [EngineError("not run")] * len(jobs)
        # Requests with and without images cannot share one processor call.
        for with_images in (True, False):
            group = [i for i, j in enumerate(jobs) if bool(j.request.images) == with_images]
            if not group:
                continue
            answers = self._generate_isolated(loaded, [jobs[i] for i in group])
            for i, ans in zip(group, answers, strict=True):
                results[i] = ans
        return results

    def _generate_isolated(self, loaded: _Loaded, jobs: Sequence[_Job]
                           ) -> list[Answer | BaseException]:
        """``_generate`` over ``jobs``; if that fails, each job alone, so only the bad ones fail."""
        try:
            return self._generate(loaded, jobs)
        except Exception as exc:  # a model or processor failure: whose is it?
            if len(jobs) > 1:
                _free_cuda(loaded.device)
                return [r for job in jobs for r in self._generate_isolated(loaded, [job])]
            if isinstance(exc, EngineError):
                return [exc]
            return [EngineError(f"generation failed: {exc!r}")]

    def _generate(self, loaded: _Loaded, jobs: Sequence[_Job]) -> list[Answer | BaseException]:
        import torch
        from PIL import Image as PILImage

        started = time.perf_counter()
        processor, model = loaded.processor, loaded.model
        texts = [
            processor.apply_chat_template(
                build_messages(j.request, self.limits), add_generation_prompt=True,
                tokenize=False,
            )
            for j in jobs
        ]
        images = [
            [PILImage.open(io.BytesIO(img.data)).convert("RGB") for img in j.request.images]
            for j in jobs
        ]
        inputs = processor(
            text=texts, images=images if any(images) else None, padding=True,
            return_tensors="pt",
        ).to(loaded.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        limits = [j.request.max_new_tokens or self.max_new_tokens for j in jobs]
        streamer = None
        if any(j.on_text is not None for j in jobs):
            streamer = _BatchStreamer(processor.tokenizer, [j.on_text for j in jobs], limits,
                                      _eos_ids(model, processor),
                                      processor.tokenizer.pad_token_id)
        prepared = time.perf_counter()
        with torch.inference_mode():
            output = model.generate(
                **inputs, max_new_tokens=max(limits), do_sample=False, streamer=streamer
            )
        done = time.perf_counter()
        prompt_len = inputs["input_ids"].shape[1]
        eos = _eos_ids(model, processor)
        pad = processor.tokenizer.pad_token_id
        answers: list[Answer | BaseException] = []
        for row, limit, mask in zip(output, limits, inputs["attention_mask"], strict=True):
            new = row[prompt_len:prompt_len + limit].tolist()
            cut = next((k for k, tok in enumerate(new) if tok in eos), len(new))
            new = [tok for tok in new[:cut] if tok != pad]
            text = processor.tokenizer.decode(new, skip_special_tokens=True).strip()
            if not text:
                answers.append(EngineEmpty("the model produced no text"))
                continue
            answers.append(Answer(
                text=text, engine=self.name, model=self.model_id,
                prompt_tokens=int(mask.sum()), completion_tokens=len(new),
                timings_ms={"prepare": (prepared - started) * 1000,
                            "generate": (done - prepared) * 1000, "batch": float(len(jobs))},
            ))
        return answers


def _free_cuda(device: str) -> None:
    """Give back the memory a failed CUDA batch held before its members run alone."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def _eos_ids(model: Any, processor: Any) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if processor.tokenizer.eos_token_id is not None:
        ids.add(processor.tokenizer.eos_token_id)
    return ids


class _BatchStreamer:
    """transformers' streamer protocol (``put``/``end``) for a whole batch: ``generate`` hands
    it the prompt once, then each step's next token of every row; every row with a callback
    gets its own decoded text so far (transformers' ``TextStreamer`` takes batch size 1 only).
    A row stops at its end-of-sequence token or its own token limit, as its answer does; text
    ending in a partial character (U+FFFD) waits for the next token."""

    def __init__(self, tokenizer: Any, callbacks: Sequence[Callable[[str], None] | None],
                 limits: Sequence[int], eos: set[int], pad: int | None) -> None:
        self._tokenizer = tokenizer
        self._callbacks = list(callbacks)
        self._limits = list(limits)
        self._eos, self._pad = eos, pad
        self._tokens: list[list[int]] = [[] for _ in callbacks]
        self._steps = [0] * len(callbacks)
        self._done = [cb is None for cb in callbacks]
        self._shown = [""] * len(callbacks)
        self._prompt_seen = False

    def put(self, value: Any) -> None:
        if not self._prompt_seen:  # the first call carries the prompts
            self._prompt_seen = True
            return
        step = value.reshape(len(self._callbacks), -1).tolist()
        for row, tokens in enumerate(step):
            for token in tokens:
                self._add(row, int(token))

    def _add(self, row: int, token: int) -> None:
        if self._done[row]:
            return
        self._steps[row] += 1
        if token in self._eos:
            self._done[row] = True
            return
        if self._steps[row] >= self._limits[row]:
            self._done[row] = True
        if token == self._pad:
            return
        self._tokens[row].append(token)
        text = self._tokenizer.decode(self._tokens[row], skip_special_tokens=True).strip()
        callback = self._callbacks[row]
        if text and text != self._shown[row] and not text.endswith("\ufffd") and callback:
            self._shown[row] = text
            callback(text)

    def end(self) -> None:
        self._done = [True] * len(self._done)
