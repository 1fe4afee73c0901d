"""Image quality hints: small, blurred, dark or glary photos, measured on the pixels.

Each hint has a code with a sentence in ``bot.strings`` (``quality.<code>``) and the figures it
was decided on. The measures are the usual ones: variance of the Laplacian for focus, mean
luminance for darkness, the share of clipped highlights for glare, and the short side for size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image as PILImage

MIN_SHORT_SIDE = 360  # px; below this small print is rarely legible
BLUR_VARIANCE = 60.0  # Laplacian variance at WORK_EDGE scale; sharp photos are in the hundreds
DARK_MEAN = 55.0  # mean luminance, 0..255
CLIP_LEVEL = 250  # a pixel at or above this luminance is clipped
GLARE_SHARE = (0.02, 0.4)  # clipped share that reads as a hot spot (more: a white page)
GLARE_REST_MEAN = 215.0  # ...on an image whose unclipped rest is not itself near white
FLAT_RANGE = 8  # 1st..99th percentile spread below which an image counts as flat
WORK_EDGE = 1024  # measure focus at a fixed scale so large and small photos compare


@dataclass(frozen=True)
class QualityHint:
    code: str  # small | blurry | dark | glare
    params: dict[str, Any] = field(default_factory=dict)  # for the sentence, and the measure


def _gray(image: PILImage.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, PILImage.Image):
        return np.asarray(image.convert("L"))
    array = np.asarray(image)
    if array.ndim == 2:
        return array.astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:
        return cv2.cvtColor(array.astype(np.uint8), cv2.COLOR_RGBA2GRAY)
    if array.ndim == 3 and array.shape[2] == 3:
        return cv2.cvtColor(array.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    raise ValueError(f"not an image array: shape {array.shape}")


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian, after scaling the long edge down to ``WORK_EDGE`` and stretching
    the contrast (1st..99th percentile to 0..255), so a dark photo is not also called blurred."""
    h, w = gray.shape
    scale = WORK_EDGE / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))  # a 20000x10 strip: 1 px
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    low, high = np.percentile(gray, (1, 99))
    if high - low < FLAT_RANGE:
        return float("inf")  # a flat image has no edges to judge focus by
    stretched = (gray.astype(np.float64) - low) * (255.0 / max(high - low, 1.0))
    return float(cv2.Laplacian(np.clip(stretched, 0, 255), cv2.CV_64F).var())


def assess(image: PILImage.Image | np.ndarray) -> list[QualityHint]:
    """Hints for one image (RGB/RGBA/grey, PIL or uint8 array); empty when it looks fine."""
    gray = _gray(image)
    h, w = gray.shape
    hints: list[QualityHint] = []
    if min(h, w) < MIN_SHORT_SIDE:
        hints.append(QualityHint("small", {"width": w, "height": h}))
    mean = float(gray.mean())
    if mean < DARK_MEAN:
        hints.append(QualityHint("dark", {"mean": round(mean, 1)}))
    focus = sharpness(gray)
    if focus < BLUR_VARIANCE:
        hints.append(QualityHint("blurry", {"laplacian_var": round(focus, 1)}))
    clipped = gray >= CLIP_LEVEL
    share = float(clipped.mean())
    rest = float(gray[~clipped].mean()) if share < 1 else 255.0
    if GLARE_SHARE[0] <= share <= GLARE_SHARE[1] and rest < GLARE_REST_MEAN:
        hints.append(QualityHint("glare", {"clipped_share": round(share, 3)}))
    return hints
