"""A constrained question through the real transformers engine (a tiny random-weight SmolVLM
built offline): its own system prompt and the image go through the model's chat template, and
an answer that is not the asked JSON (what random weights produce) counts as no answer, which
the age stage turns into ``hold``."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage
from skimage import data

from bot.models import Image
from bot.vision.age_question import AgeAnswer, age_question, ask_age
from bot.vision.constrained import ask_json
from bot.vision.transformers_engine import TransformersEngine
from config.policy import PolicyConfig
from safety.policy import decide
from safety.second_stage import apply_answers
from safety.types import Action, Finding, ScreenContext
from tests import tinyvlm

pytestmark = pytest.mark.slow


def _coffee() -> Image:
    buf = io.BytesIO()
    PILImage.fromarray(data.coffee()).save(buf, "JPEG")
    return Image(0, buf.getvalue(), "image/jpeg", 600, 400, "jpeg", "a" * 64, "b" * 64)


async def test_an_unreadable_answer_from_a_local_model_holds(tmp_path) -> None:
    folder = tinyvlm.build(tmp_path / "tinyvlm")
    engine = TransformersEngine(str(folder), local_files_only=True, device="cpu",
                                max_new_tokens=12, timeout_s=60)
    try:
        asked = await ask_json(engine, age_question(_coffee(), "what is this ?"), timeout_s=60)
        assert asked.status == "unreadable" and asked.value is None
        assert issubclass(age_question(_coffee(), "").answer, AgeAnswer)
        answer = await ask_age(engine, _coffee(), "what is this ?", timeout_s=60)
    finally:
        await engine.close()
    ctx = ScreenContext(text="what is this ?", channel="C1")
    covered = Finding("nudity_covered", "nudenet", 0.5, "BUTTOCKS_COVERED", image_index=0)
    verdict = apply_answers(decide([covered], (), ctx, PolicyConfig()), {0: answer}, ctx,
                            PolicyConfig())
    assert verdict.action is Action.HOLD and "model_error" in verdict.reasons
