"""A phone photo of a receipt on a table -> the paper, flat and upright, ready for OCR.

``flatten`` finds the paper (the largest bright, low-saturation region with four corners),
corrects its perspective, then removes any tilt left (the angle whose row profile is sharpest).
A scan or screenshot that is all paper passes through with only the tilt corrected.
``quality`` measures what makes a photo unreadable (blur, darkness, too few pixels).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

WORK_SIDE = 800  # long side of the copy the paper is searched on
MIN_PAPER_FRACTION = 0.12  # of the photo's area
MAX_TILT_DEG = 20.0
OCR_MAX_HEIGHT = 2400
OCR_TARGET_WIDTH = 900  # a receipt's width for OCR where its rows cannot be measured
# Tesseract reads best with rows (ascender to descender) about this tall; big bold totals at 60 px
# came out as "$0537" for "90,37" (bench/receipts.py --show, 2026-11-28)
TEXT_HEIGHT = 30
EDGE_TRIM = 0.015  # of the sheet's width, after the perspective is corrected
EDGE_COLUMNS = 0.03  # of the page's width, on each side, left out of the rows' height
# ``runs_down``: on SROIE development receipts (70, every 5th of 150-499) at 0 and 90 degrees,
# 60 of 70 sideways sheets over 1.5 and 1 of 70 upright ones; 30 of 30 rendered, none upright
RUNS_DOWN = 1.5


@dataclass(frozen=True)
class Quality:
    sharpness: float  # variance of the Laplacian on the paper at OCR scale
    brightness: float  # mean gray 0..255
    short_side: int  # pixels of the paper's short side in the original photo
    paper: bool = True  # a sheet was found on a background, or the frame is mostly paper


def _order(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
                    dtype=np.float32)


def find_paper(rgb: np.ndarray) -> np.ndarray | None:
    """The paper's four corners (tl, tr, br, bl) in ``rgb``'s pixels, or None when no paper
    stands out from its background (a scan, or paper filling the frame)."""
    h, w = rgb.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    # paper: bright and grey-ish; tables are darker or coloured
    diff = hsv[:, :, 2].astype(np.int16) - hsv[:, :, 1].astype(np.int16)
    score = cv2.GaussianBlur(np.clip(diff, 0, 255).astype(np.uint8), (7, 7), 0)
    _, mask = cv2.threshold(score, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    # every outline pixel: a level side kept as its two ends gives _fit_edges nothing to fit
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    c = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(c)
    total = small.shape[0] * small.shape[1]
    if area < MIN_PAPER_FRACTION * total or area > 0.93 * total:
        return None
    quad = None
    peri = cv2.arcLength(c, True)
    for eps in (0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(c, eps * peri, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            quad = approx.reshape(4, 2).astype(np.float32)
            break
        if len(approx) in (5, 6) and cv2.isContourConvex(approx):
            quad = _cut_corners(approx.reshape(-1, 2).astype(np.float32), area)
            if quad is not None:
                break
    if quad is None:
        rect = cv2.minAreaRect(c)
        if area < 0.85 * rect[1][0] * rect[1][1]:  # not a sheet: a shirt, a cup, a cat
            return None
        quad = cv2.boxPoints(rect).astype(np.float32)
    return _order(_fit_edges(_order(quad), c.reshape(-1, 2).astype(np.float32)) / scale)


def _cut_corners(poly: np.ndarray, area: float) -> np.ndarray | None:
    """The sheet's corners where one or two were cut off (a thumb, a folded or torn corner, a
    scanner's black triangle): of the ways to keep four of the polygon's sides, the one whose
    lines meet nearest to right angles, if they all meet within 18 degrees of one and add at
    most a fifth to the outline's area. None where no way does: no sheet."""
    n = len(poly)
    sides = [poly[(i + 1) % n] - poly[i] for i in range(n)]
    best: tuple[float, np.ndarray] | None = None
    for keep in itertools.combinations(range(n), 4):
        corners, worst = [], 0.0
        for j in range(4):
            i1, i2 = keep[j - 1], keep[j]
            d1 = sides[i1] / max(float(np.linalg.norm(sides[i1])), 1e-6)
            d2 = sides[i2] / max(float(np.linalg.norm(sides[i2])), 1e-6)
            cross = float(d1[0] * d2[1] - d1[1] * d2[0])
            worst = max(worst, abs(float(d1 @ d2)))
            if abs(cross) < 0.3:
                break
            p1, p2 = poly[i1], poly[i2]
            t = float((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / cross
            corners.append(p1 + t * d1)
        if len(corners) < 4 or worst > 0.3:  # cos 72 degrees
            continue
        quad = np.array(corners, dtype=np.float32)
        if area <= cv2.contourArea(quad) <= 1.2 * area and (best is None or worst < best[0]):
            best = (worst, quad)
    return None if best is None else best[1]


def _fit_edges(quad: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """The corners where lines fitted to the outline's four sides meet. The polygon's own
    corners sit on the outline but its sides cut inside it (up to ``eps`` of the perimeter),
    and the margin they cut off took the first letters of a row ("OTAL" for TOTAL on a photo
    of SROIE 192). Kept as they were where a side has too few points or a corner moves far."""
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        side = b - a
        length = float(np.linalg.norm(side))
        if length < 8:
            return quad
        rel = outline - a
        along = rel @ side / length**2
        off = np.abs(rel[:, 0] * side[1] - rel[:, 1] * side[0]) / length
        near = outline[(along > 0.15) & (along < 0.85) & (off < max(3.0, 0.04 * length))]
        if len(near) < 5:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    fitted = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        cross = d1[0] * d2[1] - d1[1] * d2[0]
        if abs(cross) < 1e-3:
            return quad
        t = ((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / cross
        fitted.append(p1 + t * d1)
    out = np.array(fitted, dtype=np.float32)
    span = float(max(np.ptp(quad[:, 0]), np.ptp(quad[:, 1])))
    if np.abs(out - quad).max() > 0.08 * span:
        return quad
    return out


def paper_share(rgb: np.ndarray) -> float:
    """The share of the frame that looks like paper: bright and unsaturated."""
    small = cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    bright = hsv[:, :, 2] >= max(100, int(np.percentile(hsv[:, :, 2], 95)) * 0.75)
    return float((bright & (hsv[:, :, 1] < 60)).mean())


def warp(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    tl, tr, br, bl = corners
    width = max(8, round(float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))))
    height = max(8, round(float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))))
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]],
                   dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, dst)
    return cv2.warpPerspective(rgb, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def _ink(gray: np.ndarray) -> np.ndarray:
    """The dark pixels of a copy of ``gray`` at most 500 px long (255 where ink)."""
    h, w = gray.shape
    scale = min(1.0, 500 / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    return cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                 cv2.THRESH_BINARY_INV, 25, 15)


def skew_angle(gray: np.ndarray) -> float:
    """Degrees to rotate (counter-clockwise) so the printed rows lie level: the angle whose
    horizontal projection of dark pixels has the largest variance (rows and gaps sharpest)."""
    ink = _ink(gray)
    if ink.mean() < 0.5:
        return 0.0
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(ink, m, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_NEAREST)
        return float(np.var(rot.sum(axis=1, dtype=np.float64)))

    best = max(np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 0.1, 2.0), key=sharpness)
    fine = max(np.arange(best - 1.75, best + 1.8, 0.25), key=sharpness)
    return float(fine)


def _profile_sharpness(ink: np.ndarray) -> float:
    """The largest variance of the ink's row profile (the share of ink in each row) over tilts
    within MAX_TILT_DEG: printed rows and the gaps between them make it high."""
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)
    best = 0.0
    for angle in np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 0.1, 4.0):
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(ink, m, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_NEAREST)
        best = max(best, float(np.var(rot.mean(axis=1, dtype=np.float64))))
    return best


def runs_down(rgb: np.ndarray) -> bool:
    """The printed rows run up or down the photo (it is on its side): on a small copy of the
    sheet, the ink's profile down the columns is RUNS_DOWN times sharper than across the rows.
    A cheap first guess (15-20 ms a photo here: ``bench/turns.py``) that spares a reader which
    finds the turn while reading its first reading of a sideways page; a wrong guess costs that
    reading, not the result (the reader turns the page back)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    corners = find_paper(small)
    sheet = warp(small, corners) if corners is not None else small
    ink = _ink(cv2.cvtColor(sheet, cv2.COLOR_RGB2GRAY))
    if ink.mean() < 0.5:
        return False
    return _profile_sharpness(np.ascontiguousarray(ink.T)) > RUNS_DOWN * _profile_sharpness(ink)


def text_height(gray: np.ndarray, margin: int = 0) -> float | None:
    """The median height in pixels of the printed rows (runs of rows with ink in the horizontal
    projection), or None when there are too few rows to tell. The columns within ``margin`` px
    of either side (EDGE_COLUMNS of the width at least) are left out: a scan's dark edge, or the
    corners that levelling the page brought in (its edge pixels drawn out into streaks across
    every row), ran the rows together (SROIE 509: one run 113 px tall, and the slip shrunk to
    a quarter for OCR)."""
    w = gray.shape[1]
    cut = max(margin, round(w * EDGE_COLUMNS))
    if w - 2 * cut >= 50:
        gray = gray[:, cut:w - cut]
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                31, 15)
    profile = (ink > 0).sum(axis=1) > max(2, gray.shape[1] // 100)
    runs, start = [], None
    for y, on in enumerate(profile):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if y - start >= 4:
                runs.append(y - start)
            start = None
    if len(runs) < 4:
        return None
    return float(np.median(runs))


def rotate(rgb: np.ndarray, angle: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(rgb, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def flatten(image: Image.Image) -> tuple[Image.Image, Quality]:
    """The paper, flat, level and scaled for OCR (grayscale), and its quality figures."""
    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    corners = find_paper(rgb)
    paper = rgb
    if corners is not None:
        paper = warp(rgb, corners)
        # the sheet's edge and a sliver of table confuse Tesseract's layout analysis (Japanese
        # rows came out as English garbage beside a dark edge): trim them
        ph, pw = paper.shape[:2]
        dx, dy = round(pw * EDGE_TRIM), round(ph * EDGE_TRIM * 0.6)
        paper = paper[dy:ph - dy, dx:pw - dx]
    short_side = min(paper.shape[:2])
    gray = cv2.cvtColor(paper, cv2.COLOR_RGB2GRAY)
    angle = skew_angle(gray)
    margin = 0
    if abs(angle) >= 0.3:
        margin = math.ceil(abs(math.sin(math.radians(angle))) * gray.shape[0]) + 2
        gray = rotate(gray, angle)
    h, w = gray.shape
    rows = text_height(gray, margin)
    if rows:  # printed rows about TEXT_HEIGHT px tall, whatever the photo's resolution
        factor = min(3.0, max(0.25, TEXT_HEIGHT / rows))
        factor = 1.0 if 0.85 <= factor <= 1.15 else factor
    else:
        factor = OCR_TARGET_WIDTH / w if w > OCR_TARGET_WIDTH or w < OCR_TARGET_WIDTH * 0.7 else 1
    if factor > 1 and h * factor > OCR_MAX_HEIGHT * 1.5:  # a long slip: no bigger than needed
        factor = max(1.0, OCR_MAX_HEIGHT * 1.5 / h)
    if factor != 1.0:
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, (max(1, round(w * factor)), max(1, round(h * factor))),
                          interpolation=interp)
    # the Laplacian of 8-bit gray fits 16 bits; its variance from OpenCV's one pass is the same
    # figure as numpy's on a float64 copy, at a fifth of the time on a big scan
    _, std = cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S))
    sharp = float(std[0, 0]) ** 2
    quality = Quality(sharpness=sharp, brightness=float(gray.mean()), short_side=short_side,
                      paper=corners is not None or paper_share(rgb) >= 0.6)
    return Image.fromarray(gray), quality
