"""Runs the gates on every image, in DESIGN.md's order, and asks the policy for one verdict.

1. Hash lists, for every image first: a match decides at once (block_and_preserve) and no model
   sees any image of the request.
2. NudeNet and open_nsfw side by side (threads; onnxruntime releases the GIL). NudeNet's face
   boxes are gate 3.
3. The age estimate on each face, only where the image also shows a sexual signal: the table uses
   an age estimate for nothing else, so elsewhere it would cost time and change no verdict.

Every gate call runs in a worker thread under ``timeout_s``; a gate that raises or times out adds
an error, and the policy holds. A timed-out call cannot be interrupted: its thread finishes in the
background and its result is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from config.policy import PolicyConfig
from safety.policy import decide
from safety.types import DecodedImage, Finding, GateResult, ScreenContext, Verdict

log = logging.getLogger(__name__)


class PixelGate(Protocol):
    """A gate that looks at one decoded image."""

    name: str
    version: str

    def run(self, image: DecodedImage) -> GateResult: ...


class FaceGate(Protocol):
    """A gate that looks at the faces another gate found in one image."""

    name: str
    version: str

    def run(self, image: DecodedImage, faces: Sequence[Finding]) -> GateResult: ...


class Screener:
    """Screens a request's images; ``versions`` names every model it uses."""

    def __init__(
        self,
        policy: PolicyConfig,
        *,
        hashes: PixelGate,
        detectors: Sequence[PixelGate],
        age: FaceGate | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        """``detectors`` run side by side (NudeNet, open_nsfw); ``age`` None turns estimates off."""
        self._policy = policy
        self._hashes = hashes
        self._detectors = tuple(detectors)
        self._age = age
        self._timeout_s = timeout_s
        gates: list[PixelGate | FaceGate] = [hashes, *self._detectors]
        if age is not None:
            gates.append(age)
        self.versions: dict[str, str] = {g.name: g.version for g in gates}

    async def screen(self, images: Sequence[DecodedImage], ctx: ScreenContext) -> Verdict:
        """One verdict for all ``images`` (the strictest), with scores, versions and timings."""
        start = time.perf_counter()
        results: list[GateResult] = []
        errors: list[str] = []
        findings: list[Finding] = []
        usable: list[DecodedImage] = []
        for image in images:
            if not image.frames:
                findings.append(Finding("decode_error", "ingest", None, "no frames",
                                        image_index=image.index))
            else:
                usable.append(image)

        for image in usable:
            results.append(await self._run(self._hashes.run, image, errors, image.index))
        if not any(f.code == "hash_match" for r in results for f in r.findings):
            for image in usable:
                results.extend(await self._models(image, ctx, errors))

        findings.extend(f for r in results for f in r.findings)
        verdict = decide(findings, errors, ctx, self._policy)
        scores = {k: v for r in results for k, v in r.scores.items()}
        timings: dict[str, float] = {}
        for r in results:
            timings[r.gate] = timings.get(r.gate, 0.0) + r.elapsed_ms
        timings["total"] = (time.perf_counter() - start) * 1000
        return replace(verdict, scores=scores, model_versions=dict(self.versions),
                       timings_ms=timings)

    async def _models(
        self, image: DecodedImage, ctx: ScreenContext, errors: list[str]
    ) -> list[GateResult]:
        results = list(await asyncio.gather(
            *(self._run(gate.run, image, errors, image.index) for gate in self._detectors)
        ))
        faces = [f for r in results for f in r.findings if f.code == "face"]
        if self._age is not None and faces and self._sexual(results):
            age = self._age
            results.append(await self._run(lambda im: age.run(im, faces), image, errors,
                                           image.index, age.name))
        return results

    def _sexual(self, results: Sequence[GateResult]) -> bool:
        t = self._policy.thresholds
        for f in (f for r in results for f in r.findings):
            score = f.score or 0.0
            if f.code in ("nudity_exposed", "nudity_covered") and score >= t.sexual_signal:
                return True
            if f.code == "nsfw_score" and score >= t.nsfw_low:
                return True
        return False

    async def _run(
        self,
        call: Callable[[DecodedImage], GateResult],
        image: DecodedImage,
        errors: list[str],
        index: int,
        name: str = "",
    ) -> GateResult:
        name = name or getattr(getattr(call, "__self__", None), "name", "gate")
        start = time.perf_counter()
        try:
            result = await asyncio.wait_for(asyncio.to_thread(call, image), self._timeout_s)
        except TimeoutError:
            result = GateResult(name, error="timeout")
        except Exception as exc:  # any failure of any gate holds the request
            log.exception("gate %s failed on image %d", name, index)
            result = GateResult(name, error=f"{type(exc).__name__}: {exc}")
        if result.error is not None:
            errors.append(f"{name}:{index}: {result.error}")
            return replace(result, elapsed_ms=(time.perf_counter() - start) * 1000)
        return result
