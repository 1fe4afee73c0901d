"""``OpenAIEngine.stream`` over server-sent events from a local stand-in: the text grows chunk by
chunk; retries before the first text; a stream that breaks, sends an error event or ends
without ``[DONE]`` after some text raises ``EngineInterrupted`` with that text; malformed chunks
are skipped; a server that ignores ``stream`` is read whole."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image as PILImage
from skimage import data

from bot.errors import EngineBusy, EngineEmpty, EngineError, EngineInterrupted
from bot.models import AnswerRequest, Image
from bot.vision.openai_engine import OpenAIEngine
from tests.openai_standin import OpenAIStandIn, Script, delta, running, words


@pytest.fixture
async def server():
    async for s in running():
        yield s


def _request() -> AnswerRequest:
    buf = io.BytesIO()
    PILImage.fromarray(data.coffee()).save(buf, "JPEG", quality=80)
    raw = buf.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    img = Image(0, raw, "image/jpeg", 600, 400, "jpeg", digest, digest)
    return AnswerRequest(images=(img,), question="what is it?")


async def _collect(server: OpenAIStandIn, *, retries: int = 2, timeout_s: float = 5.0
                   ) -> list[str]:
    engine = OpenAIEngine(server.base_url, "sk-test", "qwen-vl", timeout_s=timeout_s,
                          retries=retries, backoff_s=0.01)
    got: list[str] = []
    try:
        async for text in engine.stream(_request()):
            got.append(text)
    finally:
        await engine.close()
    return got


async def test_the_answer_grows_chunk_by_chunk(server) -> None:
    server.script = [words("A cup of coffee on a saucer.", pause_s=0.05)]
    got = await _collect(server)
    assert got == ["A", "A cup", "A cup of", "A cup of coffee", "A cup of coffee on",
                   "A cup of coffee on a", "A cup of coffee on a saucer."]
    assert server.bodies[0]["stream"] is True


async def test_retries_before_the_first_text(server) -> None:
    server.script = [Script(status=503), Script(status=429, headers={"Retry-After": "0"}),
                     words("fine now")]
    assert (await _collect(server, retries=2))[-1] == "fine now"
    assert len(server.bodies) == 3


async def test_a_connection_dropped_before_any_text_is_retried(server) -> None:
    server.script = [Script([delta("")], end="drop"), words("second try")]
    assert (await _collect(server))[-1] == "second try"
    assert len(server.bodies) == 2


async def test_busy_until_the_retries_run_out(server) -> None:
    server.script = [Script(status=500)]
    with pytest.raises(EngineBusy):
        await _collect(server, retries=1)
    assert len(server.bodies) == 2


@pytest.mark.parametrize("end", ["drop", "eof", "hang"])
async def test_a_break_after_some_text_keeps_it_and_is_not_retried(server, end: str) -> None:
    server.script = [Script([delta("The sign says"), delta(" EXIT")], end=end),
                     words("never asked")]
    got: list[str] = []
    engine = OpenAIEngine(server.base_url, "", "m", timeout_s=1.0, retries=2, backoff_s=0.01)
    try:
        with pytest.raises(EngineInterrupted) as caught:
            async for text in engine.stream(_request()):
                got.append(text)
    finally:
        await engine.close()
    assert got == ["The sign says", "The sign says EXIT"]
    assert caught.value.partial == "The sign says EXIT"
    assert caught.value.message_key == "engine.cut_short"
    assert len(server.bodies) == 1  # nothing is asked (or shown) twice


@pytest.mark.parametrize("error", [
    ("error", '{"error": {"message": "model crashed"}}'),
    ("", '{"error": {"message": "out of memory", "code": 500}}'),
    ("error", "not json at all"),
])
async def test_an_error_event_after_text_ends_it_cut_short(server, error) -> None:
    server.script = [Script([delta("Half an"), error, delta(" answer")])]
    with pytest.raises(EngineInterrupted) as caught:
        await _collect(server)
    assert caught.value.partial == "Half an"


async def test_an_error_event_before_any_text_is_an_engine_error(server) -> None:
    server.script = [Script([("error", '{"error": {"message": "bad image"}}')])]
    with pytest.raises(EngineError) as caught:
        await _collect(server)
    assert not isinstance(caught.value, EngineInterrupted | EngineBusy)
    assert len(server.bodies) == 1


async def test_malformed_chunks_are_skipped(server) -> None:
    server.script = [Script([delta("One"), "{not json", '{"choices": "x"}', "[1, 2]",
                             '{"choices": [{"delta": {"content": 7}}]}', "",
                             delta(" two"), delta("", "stop")])]
    assert await _collect(server) == ["One", "One two"]


async def test_only_malformed_chunks_is_an_empty_answer(server) -> None:
    server.script = [Script(["{not json", '{"nope": 1}'])]
    with pytest.raises(EngineEmpty):
        await _collect(server)


async def test_a_server_that_ignores_stream_is_read_whole(server) -> None:
    server.script = [Script(json_body={"choices": [{"message": {"content": " whole "}}]})]
    assert await _collect(server) == ["whole"]
    server.script = [Script(json_body={"choices": []})]
    with pytest.raises(EngineEmpty):
        await _collect(server)


async def test_a_client_error_is_not_retried(server) -> None:
    server.script = [Script(status=400)]
    with pytest.raises(EngineError) as caught:
        await _collect(server)
    assert "HTTP 400" in caught.value.detail and len(server.bodies) == 1


async def test_a_stream_that_never_ends_is_cut_at_its_time_limit(server) -> None:
    server.script = [Script([delta("Still"), *[delta(" .")] * 200], pause_s=0.05)]
    engine = OpenAIEngine(server.base_url, "", "m", timeout_s=5.0, retries=2, backoff_s=0.01,
                          max_stream_s=0.5)
    try:
        with pytest.raises(EngineInterrupted) as caught:
            async for _ in engine.stream(_request()):
                pass
    finally:
        await engine.close()
    assert caught.value.partial.startswith("Still")
    assert len(server.bodies) == 1


async def test_keep_alives_without_text_end_at_the_time_limit_as_busy(server) -> None:
    server.script = [Script([delta("")] * 200, pause_s=0.05)]
    engine = OpenAIEngine(server.base_url, "", "m", timeout_s=5.0, retries=2, backoff_s=0.01,
                          max_stream_s=0.5)
    try:
        with pytest.raises(EngineBusy):
            async for _ in engine.stream(_request()):
                pass
    finally:
        await engine.close()
    assert len(server.bodies) == 1  # not retried
