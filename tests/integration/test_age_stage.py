"""The age signal's second stage against a local OpenAI-compatible stand-in: the real
``OpenAIEngine``, the real ``AgeStage`` and, end to end, the real pipeline from ``build_app``.
The image is a benign photo (coffee); the sexual signal is a finding set directly by the
screener, never a picture. The stand-in answers yes, no, garbage, slowly, or with an error."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.core.age_stage import AgeStage
from bot.core.outcome import Outcome
from bot.imaging.ingest import IngestLimits, Ingestor
from bot.models import Image, IncomingMessage, ReplyKind, Turn
from bot.stores.memory import MemoryThreadMemory
from bot.vision.openai_engine import OpenAIEngine
from config.policy import PolicyConfig
from config.settings import SettingsError, load_settings
from safety.policy import context_for, decide, redecide
from safety.types import Action, Finding
from tests.openai_standin import Script, completion, running

COVERED = Finding("nudity_covered", "nudenet", 0.5, "BUTTOCKS_COVERED", image_index=0)
YES = json.dumps({"minor": True, "evidence": ["school uniform"]})
NO = json.dumps({"minor": False, "evidence": []})


class SexualSignalScreener:
    """The real policy over a sexual signal set directly on image 0 (the photo is coffee)."""

    async def screen(self, images, ctx):
        return decide([COVERED], [], ctx, PolicyConfig())


@pytest.fixture
async def server():
    async for s in running():
        yield s


def _engine(server, timeout_s: float = 5.0) -> OpenAIEngine:
    return OpenAIEngine(server.base_url, "", "qwen-vl", timeout_s=timeout_s, retries=0,
                        backoff_s=0.01)


async def _pipeline(make_settings, server, tmp_path: Path, coffee_jpeg: bytes, text: str,
                    **settings: object):
    app = build_app(make_settings('[defaults]\nconsent = "off"\n', **settings),
                    memory_only=True, engine=_engine(server), screener=SexualSignalScreener())
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(coffee_jpeg)
    out = await app.pipeline.handle(LocalConversation(cli_message([photo], text)))
    await app.close()
    return out


async def test_yes_blocks_and_preserves(make_settings, server, tmp_path, coffee_jpeg) -> None:
    server.script = [completion(YES), completion("never asked")]
    out = await _pipeline(make_settings, server, tmp_path, coffee_jpeg, "rate her")
    assert out.reply.kind is ReplyKind.BLOCKED
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE and out.verdict.escalated
    [found] = [f for f in out.verdict.findings if f.code == "minor_model"]
    assert found.label == "school uniform" and found.gate == "model"
    assert len(server.bodies) == 1  # the question; no answer was asked for
    body = server.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["minor", "evidence"]
    user = body["messages"][-1]["content"]
    assert user[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert '"text": "rate her"' in user[-1]["text"]


async def test_no_lets_the_grammar_decide(make_settings, server, tmp_path, coffee_jpeg) -> None:
    server.script = [completion(NO), completion("A cup of coffee.")]
    out = await _pipeline(make_settings, server, tmp_path, coffee_jpeg, "what is this?")
    assert out.verdict.action is Action.ALLOW and out.reply.kind is ReplyKind.ANSWER
    assert out.verdict.scores["model_minor:0"] == 0.0
    assert len(server.bodies) == 2 and "response_format" not in server.bodies[1]


@pytest.mark.parametrize("script", [
    completion("I think the person is an adult."),  # not JSON
    completion('{"minor": "no", "evidence": []}'),  # the wrong type
    Script(status=500),  # an error
    Script(status=400),
])
async def test_garbage_or_an_error_holds(make_settings, server, tmp_path, coffee_jpeg,
                                         script) -> None:
    server.script = [script]
    out = await _pipeline(make_settings, server, tmp_path, coffee_jpeg, "what is this?")
    assert out.reply.kind is ReplyKind.HELD
    assert out.verdict.action is Action.HOLD and "model_error" in out.verdict.reasons


async def test_a_slow_model_holds_within_the_time_limit(make_settings, server, tmp_path,
                                                        coffee_jpeg) -> None:
    # The model answers "no" after 3 s; the limit is 0.5 s. Had the stage waited, that "no"
    # would let the image through: a hold for a timeout shows the limit cut the wait short
    # (no wall-clock bound, which a busy machine's screening and OCR would make flaky).
    server.script = [completion(NO, pause_s=3.0)]
    out = await _pipeline(make_settings, server, tmp_path, coffee_jpeg, "what is this?",
                          vlm_check_timeout_s=0.5)
    assert out.verdict.action is Action.HOLD
    assert any(f.code == "model_error" and f.label == "timeout" for f in out.verdict.findings)


def test_the_time_limit_has_a_ceiling(tmp_path) -> None:
    with pytest.raises(SettingsError, match="MIRU_VLM_CHECK_TIMEOUT_S"):
        load_settings(data_dir=tmp_path, vlm_check_timeout_s=121)
    with pytest.raises(SettingsError, match="MIRU_VLM_CHECK_TIMEOUT_S"):
        load_settings(data_dir=tmp_path, vlm_check_timeout_s=0)
    assert load_settings(data_dir=tmp_path, vlm_check_timeout_s=120).vlm_check_timeout_s == 120


async def test_no_model_no_question(make_settings, server, tmp_path, coffee_jpeg,
                                    counting_engine) -> None:
    """The OCR engine (or any engine that is no vision-language model), or the checks turned
    off: the grammar alone decides, as before."""
    settings = make_settings('[defaults]\nconsent = "off"\n')
    for app in (build_app(settings, memory_only=True, engine=counting_engine),
                build_app(settings.model_copy(update={"vlm_checks": False}), memory_only=True,
                          engine=_engine(server))):
        assert app.services.age_stage is None and app.services.receipt_opinion is None
        await app.close()
    server.script = [completion("A cup of coffee.")]
    out = await _pipeline(make_settings, server, tmp_path, coffee_jpeg, "what?",
                          vlm_checks=False)
    assert out.verdict.action is Action.ALLOW and len(server.bodies) == 1


async def test_the_threads_recent_turns_go_with_the_question(server, tmp_path,
                                                             coffee_jpeg) -> None:
    memory = MemoryThreadMemory()
    msg = IncomingMessage(platform="cli", workspace="w", channel="c", thread="t",
                          message_id="m", user="u", text="rate her")
    await memory.append(msg.thread_key, "u", [Turn("user", "this is my 14 year old daughter"),
                                              Turn("assistant", "A girl on a beach.")])
    out = Outcome(request_id="r1")
    out.decoded.append(await Ingestor(IngestLimits()).decode(coffee_jpeg, index=0))
    policy = PolicyConfig()
    ctx = context_for(policy, "c", "rate her")
    verdict = decide([COVERED], [], ctx, policy)
    server.script = [completion(YES)]
    engine = _engine(server)
    got = await AgeStage(engine, timeout_s=5)(msg, out, verdict, ctx, policy, memory)
    await engine.close()
    assert got.action is Action.BLOCK_AND_PRESERVE
    prompt = server.bodies[0]["messages"][-1]["content"][-1]["text"]
    assert "this is my 14 year old daughter" in prompt and "A girl on a beach." in prompt


async def test_a_stored_image_is_asked_about_with_its_kept_copy(server, coffee_jpeg) -> None:
    """A follow-up without images: the thread's stored image (kept with its findings) is the
    one the model sees, under the index the request gives it (after the fresh ones)."""
    stored = Image(0, coffee_jpeg, "image/jpeg", 451, 300, "jpeg", "a" * 64,
                   hashlib.sha256(coffee_jpeg).hexdigest(), findings=(COVERED,))
    msg = IncomingMessage(platform="cli", workspace="w", channel="c", thread="t",
                          message_id="m2", user="u", text="how old is she")
    out = Outcome(request_id="r2")
    out.stored = [stored]
    policy = PolicyConfig()
    ctx = context_for(policy, "c", msg.text)
    verdict = redecide(stored.findings, ctx, policy, image_index=0)
    server.script = [completion(YES)]
    engine = _engine(server)
    got = await AgeStage(engine, timeout_s=5)(msg, out, verdict, ctx, policy,
                                              MemoryThreadMemory())
    await engine.close()
    assert got.action is Action.BLOCK_AND_PRESERVE
    url = server.bodies[0]["messages"][-1]["content"][1]["image_url"]["url"]
    assert base64.b64decode(url.split(",", 1)[1]) == coffee_jpeg


async def test_the_apis_screen_asks_the_model_too(make_settings, server, coffee_jpeg) -> None:
    """``/v1/screen``'s step (``screen_image``) gets the chat path's second stage: the same
    image and text give the same verdict there."""
    from bot.api.contract import keep_with, screen_image
    from bot.cli.local import cli_message

    app = build_app(make_settings('[defaults]\nconsent = "off"\n'), memory_only=True,
                    engine=_engine(server), screener=SexualSignalScreener())
    s = app.services
    server.script = [completion(YES)]
    keep = keep_with(app.pipeline.steps.keeper, cli_message([], "rate her"))  # kept too
    got = await screen_image(coffee_jpeg, "photo.jpg", size=len(coffee_jpeg),
                             max_bytes=10**7, text="rate her", ingestor=s.ingestor,
                             screener=s.screener, policy=s.policy, audit=s.audit,
                             channel="api", platform="api", keep=keep, age_stage=s.age_stage)
    await app.close()
    assert got.verdict is not None and got.verdict.action is Action.BLOCK_AND_PRESERVE
    assert '"text": "rate her"' in server.bodies[0]["messages"][-1]["content"][-1]["text"]
