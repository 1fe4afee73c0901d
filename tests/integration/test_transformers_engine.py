"""TransformersEngine end to end on a tiny Idefics3 (SmolVLM-architecture) model built offline."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from PIL import Image as PILImage
from skimage import data

from bot.errors import EngineBusy, EngineUnavailable
from bot.models import AnswerRequest, Image, Turn
from bot.vision.base import Engine
from bot.vision.transformers_engine import TransformersEngine
from tests import tinyvlm

pytestmark = pytest.mark.slow


def _image(array, index: int = 0) -> Image:
    buf = io.BytesIO()
    PILImage.fromarray(array).convert("RGB").save(buf, "PNG")
    raw = buf.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    h, w = array.shape[:2]
    return Image(index, raw, "image/png", w, h, "png", digest, digest)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    return str(tinyvlm.build(tmp_path_factory.mktemp("tinyvlm")))


@pytest.fixture(scope="session")
def images():
    return [_image(data.astronaut()), _image(data.coffee()), _image(data.chelsea())]


def _requests(images) -> list[AnswerRequest]:
    return [
        AnswerRequest(images=(images[0],), question="what does the sign say ?"),
        AnswerRequest(images=(images[1], images[2]), question="which cup is red ?",
                      ocr_text="total 3 cash", language="ja"),
        AnswerRequest(images=(images[2],), question="describe this photo please",
                      history=(Turn("user", "what is in the picture ?"),
                               Turn("assistant", "a cat")), max_new_tokens=4),
        AnswerRequest(images=(), question="what is the total ?"),
    ]


@pytest.fixture
async def engine(tiny_model):
    eng = TransformersEngine(tiny_model, local_files_only=True, device="cpu", max_new_tokens=10,
                             batch_window_ms=200, max_batch=8, timeout_s=60)
    yield eng
    await eng.close()


async def test_generates_end_to_end(engine, images):
    assert isinstance(engine, Engine)
    answer = await engine.answer(_requests(images)[0])
    assert answer.text.strip()
    assert answer.engine == "transformers" and answer.model == engine.model_id
    assert 0 < answer.completion_tokens <= 10
    assert answer.prompt_tokens > answer.completion_tokens


async def test_concurrent_calls_are_batched_and_match_one_by_one(engine, images):
    requests = _requests(images)
    one_by_one = [(await engine.answer(r)).text for r in requests]
    assert engine.stats.sizes == [1, 1, 1, 1]
    assert len(set(one_by_one)) > 1, "the tiny model should answer differently per input"

    together = await asyncio.gather(*(engine.answer(r) for r in requests))
    # one gathered batch of four; the processor runs image and text-only requests apart
    assert engine.stats.sizes[4:] == [4]
    assert [a.text for a in together] == one_by_one
    assert together[2].completion_tokens <= 4


async def test_stream_grows_and_ends_with_the_answer(engine, images):
    request = _requests(images)[0]
    chunks = [chunk async for chunk in engine.stream(request)]
    final = (await engine.answer(request)).text
    assert chunks[-1] == final
    assert len(chunks) >= 2
    assert all(final.startswith(c) for c in chunks)


async def test_timeout_cancels_only_the_callers_wait(tiny_model, images):
    eng = TransformersEngine(tiny_model, local_files_only=True, device="cpu", max_new_tokens=6,
                             batch_window_ms=0, timeout_s=1e-6)
    try:
        with pytest.raises(EngineBusy):
            await eng.answer(_requests(images)[0])
        eng.timeout_s = 60
        answer = await eng.answer(_requests(images)[0])
        assert answer.text
    finally:
        await eng.close()


async def test_missing_model_offline_is_a_clear_error(tmp_path):
    eng = TransformersEngine(str(tmp_path / "no-such-model"), local_files_only=True)
    with pytest.raises(EngineUnavailable):
        eng.preflight()
    try:
        with pytest.raises(EngineUnavailable):
            await eng.answer(AnswerRequest(images=(), question="hello"))
    finally:
        await eng.close()


def test_preflight_accepts_the_tiny_model(tiny_model):
    TransformersEngine(tiny_model, local_files_only=True).preflight()


class _OcrStandIn:
    """What ``ocr_engine_factory`` returns here (the real OCR engine is tested on its own)."""

    name = "ocr"
    model_id = "tesseract"


def _settings(**overrides):
    from config.settings import Settings

    return Settings(_env_file=None, **overrides)


def test_factory_loads_a_cached_model_lazily(tiny_model):
    from bot.vision.factory import build_engine

    choice = build_engine(_settings(vlm_model=tiny_model, offline=True),
                          ocr_engine_factory=_OcrStandIn)
    assert isinstance(choice.engine, TransformersEngine) and choice.note == ""
    assert choice.engine.local_files_only
    assert choice.engine._loaded is None  # weights wait for the first request


def test_factory_falls_back_to_ocr_with_a_note(tmp_path):
    from bot.vision.factory import build_engine

    missing = "example-org/not-downloaded-vlm"
    choice = build_engine(_settings(vlm_model=missing, offline=True),
                          ocr_engine_factory=_OcrStandIn)
    assert isinstance(choice.engine, _OcrStandIn)
    assert f"MIRU_VLM_MODEL={missing}" in choice.note
    assert f"miru models pull {missing}" in choice.note


def test_factory_other_backends():
    from bot.vision.factory import build_engine
    from bot.vision.openai_engine import OpenAIEngine

    ocr = build_engine(_settings(vlm_backend="ocr"), ocr_engine_factory=_OcrStandIn)
    assert isinstance(ocr.engine, _OcrStandIn) and ocr.note == ""
    remote = build_engine(_settings(vlm_backend="openai", openai_model="m"),
                          ocr_engine_factory=_OcrStandIn)
    assert isinstance(remote.engine, OpenAIEngine) and remote.engine.model_id == "m"
    asyncio.run(remote.engine.close())


def test_pull_offline_names_the_model():
    from bot.vision.pull import pull

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with pytest.raises(EngineUnavailable, match="example-org/not-downloaded-vlm"):
        pull("example-org/not-downloaded-vlm", "main")


async def test_batcher_window_max_batch_and_close():
    """The micro-batcher on its own: a window gathers, max_batch splits, close frees waiters."""
    import threading

    from bot.vision.batching import MicroBatcher

    release = threading.Event()

    def run(items):
        release.wait(5)
        return [x * 10 if x >= 0 else ValueError(f"bad {x}") for x in items]

    batcher = MicroBatcher(run, window_ms=100, max_batch=3)
    release.set()
    results = await asyncio.gather(*(batcher.submit(i, 5) for i in range(5)),
                                   return_exceptions=False)
    assert results == [0, 10, 20, 30, 40]
    assert batcher.stats.sizes == [3, 2]
    with pytest.raises(ValueError, match="bad -1"):
        await batcher.submit(-1, 5)

    release.clear()
    stuck = asyncio.ensure_future(batcher.submit(1, None))
    await asyncio.sleep(0.3)  # the batch is now running and blocked
    await batcher.close()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await stuck
