"""The age signal's semantic second stage on the request path: after the gates and the grammar
decided, where a minor signal would change the outcome (``safety.second_stage``), ask the
configured vision-language model about each such image, with the message and the thread's
recent turns (``bot.vision.age_question``), and decide again with its answers.

Built by ``bot.app`` only where a model engine (OpenAI-compatible or transformers) is
configured and ``MIRU_VLM_CHECKS`` is on; otherwise the grammar alone decides, as before, and
``miru doctor`` says which mode is active (``bot.health.stages``).

Unlike an answer, this question may concern an image the gates stop: the model sees the pixels
the gates saw (the first screened frame at screening scale, re-encoded here: no file, no
metadata) or a stored image's processed copy, and its answer is never shown to anyone; no
image of a request a hash list matched is ever sent. All images are asked at once, each
within ``timeout_s``.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence

from bot.core.outcome import Outcome
from bot.errors import StoreUnavailable
from bot.models import Image, IncomingMessage, Turn
from bot.stores.base import ThreadMemory
from bot.vision.age_question import MAX_TURNS, ask_age
from bot.vision.base import Engine
from config.policy import PolicyConfig
from safety.second_stage import ModelAnswer, apply_answers, question_targets
from safety.types import DecodedImage, ScreenContext, Verdict

log = logging.getLogger(__name__)


def frame_image(decoded: DecodedImage) -> Image | None:
    """The first screened frame as a JPEG (no metadata: it is encoded from pixels)."""
    if not decoded.frames:
        return None
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    frame = decoded.frames[0]
    PILImage.fromarray(frame).convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return Image(index=decoded.index, data=data, mime="image/jpeg", width=frame.shape[1],
                 height=frame.shape[0], source_format=decoded.source_format,
                 original_sha256=decoded.original_sha256, sha256="")


class AgeStage:
    """``Steps.screen``'s second stage (``Services.age_stage``)."""

    def __init__(self, engine: Engine, *, timeout_s: float, max_turns: int = MAX_TURNS) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.max_turns = max_turns

    async def __call__(self, msg: IncomingMessage, out: Outcome, verdict: Verdict,
                       ctx: ScreenContext, policy: PolicyConfig, memory: ThreadMemory
                       ) -> Verdict:
        """``verdict`` decided again with the model's answers (unchanged when no image needs
        one). Fresh images have this message's indices; stored ones follow them. The turns
        come from ``memory``, the pipeline's own (a one-shot API request's is empty)."""
        targets = question_targets(verdict, policy)
        if not targets:
            return verdict
        images = await asyncio.to_thread(self._images, msg, out, targets)
        turns = await self._turns(msg, memory)
        answers = await asyncio.gather(*(
            self._ask(images.get(index), msg.text, turns) for index in targets))
        return apply_answers(verdict, dict(zip(targets, answers, strict=True)), ctx, policy)

    async def screened(self, decoded: DecodedImage, text: str, verdict: Verdict,
                       ctx: ScreenContext, policy: PolicyConfig) -> Verdict:
        """The same for one image screened alone (the API's ``/v1/screen``): no thread, so
        the message alone goes with it."""
        targets = question_targets(verdict, policy)
        if not targets:
            return verdict
        image = await asyncio.to_thread(frame_image, decoded)
        answers = await asyncio.gather(*(
            self._ask(image if index == decoded.index else None, text, ())
            for index in targets))
        return apply_answers(verdict, dict(zip(targets, answers, strict=True)), ctx, policy)

    async def _ask(self, image: Image | None, text: str, turns: Sequence[Turn]) -> ModelAnswer:
        if image is None:  # nothing to show the model: it cannot clear the image
            return ModelAnswer(None, failure="error", model=self.engine.model_id)
        return await ask_age(self.engine, image, text, turns, timeout_s=self.timeout_s)

    @staticmethod
    def _images(msg: IncomingMessage, out: Outcome, targets: Sequence[int]
                ) -> dict[int, Image | None]:
        fresh = {d.index: d for d in out.decoded}
        found: dict[int, Image | None] = {}
        for index in targets:
            if index in fresh:
                found[index] = frame_image(fresh[index])
            elif 0 <= index - len(msg.images) < len(out.stored):
                found[index] = out.stored[index - len(msg.images)]
        return found

    async def _turns(self, msg: IncomingMessage, memory: ThreadMemory) -> tuple[Turn, ...]:
        """The thread's recent turns (none when memory cannot be read: the question goes on
        with the message alone)."""
        try:
            state = await memory.load(msg.thread_key)
        except StoreUnavailable as exc:
            log.warning("thread turns not read for the age question: %s", exc.detail)
            return ()
        return tuple(state.turns[-self.max_turns:]) if self.max_turns > 0 else ()
