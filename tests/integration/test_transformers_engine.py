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

from bot.errors import EngineBusy, EngineError, EngineUnavailable
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


async def test_a_bad_request_fails_alone_in_its_batch(engine, images):
    """An undecodable image made the whole batch fail; now only its own request does."""
    broken = Image(0, b"not an image at all", "image/png", 10, 10, "png", "0" * 64, "0" * 64)
    good = _requests(images)[:2]
    alone = [(await engine.answer(r)).text for r in good]
    results = await asyncio.gather(engine.answer(good[0]),
                                   engine.answer(AnswerRequest(images=(broken,), question="hi")),
                                   engine.answer(good[1]), return_exceptions=True)
    assert engine.stats.sizes[2] == 3  # they were batched together
    assert isinstance(results[1], EngineError)
    assert [r.text for r in (results[0], results[2])] == alone


async def test_long_question_and_history_are_capped(engine, images):
    """A 10,000-character question and two 10,000-character turns reach the model capped."""
    history = (Turn("user", "cat " * 2500), Turn("assistant", "red " * 2500))
    huge = AnswerRequest(images=(images[0],), question="what " * 2000, history=history,
                         max_new_tokens=2)
    normal = _requests(images)[0]
    answers = await asyncio.gather(engine.answer(huge), engine.answer(normal))
    limits = engine.limits
    words = (limits.max_question_chars + limits.max_history_chars) // 4
    assert answers[0].prompt_tokens < words + 600  # the prompt's own words, the image
    assert answers[1].text == (await engine.answer(normal)).text


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


def test_model_source_cache_and_probe(tmp_path, monkeypatch):
    """Cached: used from the cache when the hub is unreachable, no note. Not cached and the hub
    unreachable: a note, and no hub call. Offline: never a probe."""
    from huggingface_hub import constants

    from bot.vision import factory

    snapshot = tmp_path / "models--org--cached-vlm" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "models--org--cached-vlm" / "refs").mkdir()
    (tmp_path / "models--org--cached-vlm" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    probes: list[float] = []
    real_probe = factory.hub_reachable
    monkeypatch.setattr(factory, "hub_reachable", lambda t: probes.append(t) or real_probe(t))

    cached = factory.model_source(_settings(vlm_model="org/cached-vlm", hub_probe_timeout_s=1))
    assert cached == factory.ModelSource(local_files_only=True) and probes == [1]
    missing = factory.model_source(_settings(vlm_model="org/not-here"))
    assert missing.local_files_only and "miru models pull" in missing.note
    assert "http://127.0.0.1:9" in missing.note and len(probes) == 2
    offline = factory.model_source(_settings(vlm_model="org/not-here", offline=True))
    assert "offline mode is on" in offline.note and len(probes) == 2


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


async def test_batcher_runs_a_failed_batch_one_by_one():
    """When run_batch raises for the whole batch, each item runs alone: only the bad one fails."""
    from bot.vision.batching import MicroBatcher

    calls: list[list[int]] = []

    def run(items):
        calls.append(list(items))
        if any(x < 0 for x in items):
            raise ValueError("a negative item spoils the batch")
        return [x * 10 for x in items]

    batcher = MicroBatcher(run, window_ms=200, max_batch=8)
    try:
        results = await asyncio.gather(*(batcher.submit(x, 5) for x in (1, -2, 3)),
                                       return_exceptions=True)
    finally:
        await batcher.close()
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], ValueError)
    assert calls == [[1, -2, 3], [1], [-2], [3]]
    assert batcher.stats.sizes == [3, 1, 1, 1]


async def test_batcher_wrong_result_count_is_a_failed_batch():
    from bot.vision.batching import MicroBatcher

    batcher = MicroBatcher(lambda items: [x for x in items if x != 2], window_ms=200)
    try:
        results = await asyncio.gather(*(batcher.submit(x, 5) for x in (1, 2, 3)),
                                       return_exceptions=True)
    finally:
        await batcher.close()
    assert results[0] == 1 and results[2] == 3
    assert isinstance(results[1], RuntimeError)


async def test_each_request_in_a_batch_streams_its_own_text(engine, images):
    """Four streams gathered into one micro-batch: each sees its own text grow (not only a
    request alone), ending with the same answer it gets one by one."""
    requests = _requests(images)
    alone = [(await engine.answer(r)).text for r in requests]
    before = engine.stats.batches

    async def collect(request):
        return [chunk async for chunk in engine.stream(request)]

    streams = await asyncio.gather(*(collect(r) for r in requests))
    assert engine.stats.sizes[before:] == [4]  # one batch (image and text-only groups inside)
    for chunks, final in zip(streams, alone, strict=True):
        assert chunks[-1] == final
        assert all(final.startswith(c) for c in chunks)
    grown = [chunks for chunks, final in zip(streams, alone, strict=True)
             if len(final.split()) >= 2]
    assert len(grown) >= 2 and all(len(chunks) >= 2 for chunks in grown)
