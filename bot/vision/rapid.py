"""RapidOCR 3 (PP-OCRv6 small detection and recognition, PP-OCR direction classifier; ONNX models
inside the ``rapidocr`` wheel) as a word source, and its page orientation check.

The models load on first use, from the wheel's own folder: ``RapidEngine`` refuses to start
(``EngineUnavailable``) when a model file is not there rather than let rapidocr download it.
onnxruntime runs with ``threads`` intra-op threads (default 1: a worker reads one receipt per
core; CPU time per receipt is what the bench measures; ``MIRU_OCR_THREADS`` through
``bot.wiring.build_ocr``).

Settings chosen with ``bench/receipts.py --sroie`` (see docs/models.md for the figures): the
detector sees the image with its long side at most ``DET_SIDE``: 1280 since the third SROIE
round (2026-12-07: on all 350 development receipts total 0.957 -> 0.969, date 0.974 -> 0.977
against 960; with the second look +14 % CPU at p50 on this machine; 960 had been as accurate
as rapidocr's default, short side up to 736, on the text alone, and a third cheaper). Lines
are recognised one at a time (``REC_BATCH`` 1: each at its own width; as accurate as
rapidocr's batches of 6 on the 350 development receipts, about 3 % cheaper).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bot.errors import EngineError, EngineUnavailable
from bot.vision import page_turn, rapid_tiers
from bot.vision.ocr_words import MAX_WORDS, Word

DET_SIDE = 1280
REC_BATCH = 1  # text lines recognised per batch: one, each at its own width (no padding)
ORIENT_SIDE = 640  # the orientation check's detector input (long side)
THIN = 32  # a side shorter than 1/THIN of the other is padded before detection
ORIENT_SAMPLES = 6  # at most this many of the longest lines read in each candidate direction
ORIENT_BATCH = 2  # ...this many at a time, until one direction leads by CLEAR_LEAD
CLEAR_LEAD = 0.15  # in mean recognition confidence
CROP_ASPECT = 8  # a sampled line is cut to at most this many times its height (cheaper to read)
MODEL_FILES = ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx",
               "ch_ppocr_mobile_v2.0_cls_mobile.onnx")


def version() -> str | None:
    """The installed rapidocr's version, or None."""
    if importlib.util.find_spec("rapidocr") is None:
        return None
    return importlib.metadata.version("rapidocr")


def describe() -> str:
    """For ``miru doctor``: the version and models, or what is missing and how to fix it."""
    v = version()
    if v is None:
        return "missing: pip install rapidocr==3.10.0"
    missing = missing_models()
    if missing:
        return f"{v}, models missing from the wheel: {', '.join(missing)}"
    return f"{v} (PP-OCRv6 small det/rec, direction classifier; models in the wheel)"


def models_dir() -> Path | None:
    """The wheel's model folder, or None when rapidocr is not installed."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "models"


def missing_models() -> list[str]:
    """The model files the wheel should carry and does not (all of them without rapidocr)."""
    folder = models_dir()
    if folder is None:
        return list(MODEL_FILES)
    return [name for name in MODEL_FILES if not (folder / name).is_file()]


class RapidEngine:
    """Words with boxes from RapidOCR, and ``turn``: how far a photo is turned.

    Thread-safe: one model set per engine, loaded under a lock; one read at a time (rapidocr
    keeps per-call settings on the engine).
    """

    def __init__(self, *, threads: int = 1, det_side: int = DET_SIDE,
                 rec_batch: int = REC_BATCH, tiers: bool = True) -> None:
        self.threads = threads
        self.det_side = det_side
        self.rec_batch = rec_batch
        self.tiers = tiers  # tiny first where installed (``rapid_tiers``); False: small only
        self._ocr: Any = None
        self.tiered: rapid_tiers.TieredRecognizer | None = None
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"rapidocr-{version() or 'missing'}"

    def _engine(self) -> Any:
        with self._lock:
            if self._ocr is None:
                missing = missing_models()
                if missing:
                    raise EngineUnavailable(
                        "rapidocr or its bundled models are missing "
                        f"({', '.join(missing)}): pip install rapidocr==3.10.0")
                from rapidocr import RapidOCR

                params = {
                    "Global.log_level": "error",
                    "Global.model_root_dir": str(models_dir()),
                    "Det.limit_side_len": self.det_side,
                    "Det.limit_type": "max",
                    "Rec.rec_batch_num": self.rec_batch,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
                tiny = rapid_tiers.tiny_files() if self.tiers else None
                if tiny is None:
                    self._ocr = RapidOCR(params=params)
                else:
                    ocr = RapidOCR(params={**params, "Rec.model_path": str(tiny[0]),
                                           "Rec.rec_keys_path": str(tiny[1])})
                    strong = RapidOCR(params=params)  # only its recogniser ever loads
                    # rapidocr 3.10 reads lines through ``text_rec``, loaded on first use
                    self.tiered = rapid_tiers.TieredRecognizer(ocr._load_rec_model(),
                                                               strong._load_rec_model())
                    ocr.text_rec = self.tiered  # type: ignore[assignment]  # its stub: None
                    self._ocr = ocr
            return self._ocr

    def _run(self, rgb: np.ndarray, *, det: bool = True, cls: bool = True,
             rec: bool = True, strong: bool = True) -> Any:
        # rapidocr keeps the step flags of the last call on the engine: always pass all three,
        # and one call at a time. ``strong=False``: the fast recogniser alone (tiers only).
        engine = self._engine()
        if det:
            rgb = _padded(rgb)
        try:
            with self._run_lock:
                if self.tiered is not None:
                    self.tiered.strong_too = strong
                return engine(rgb, use_det=det, use_cls=cls, use_rec=rec)
        except Exception as err:  # onnxruntime and cv2 raise many types; all mean "failed"
            raise EngineError(f"rapidocr failed: {err}") from err

    def words(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        """Each text box read as one "word" (a phrase: rapidocr's boxes are runs of text);
        ``lang`` is not needed: the recognition model reads Latin, digits, kana and kanji."""
        return _words(self._run(np.asarray(_rgb(image))))

    def read_turned(self, image: Image.Image) -> tuple[int, list[Word] | None]:
        """How far ``image`` must turn to read upright (degrees counter-clockwise, as
        ``turn``), decided from this one reading (``page_turn``), and its words: for 0 and 180
        the words of the page as turned, for a page on its side (90, 270) None (turn it and
        read it again: the receipt reader flattens it anew first). The same reading as
        ``words`` for an upright page, with no detection of its own for the turn."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.main import RapidOCRError

        rgb = np.asarray(_rgb(image))
        ocr = self._engine()
        padded = _padded(rgb)
        try:
            with self._run_lock:
                if self.tiered is not None:
                    self.tiered.strong_too = True
                img, record = ocr.preprocess_img(padded)
                try:
                    crops, det = ocr.detect_and_crop(img, record)
                except RapidOCRError:  # no text found
                    return 0, []
                classed = ocr._load_cls_model()(crops)
                extents = [_extent(box, 1.0) for box in det.boxes]
                turn = page_turn.page_turn(extents, classed.cls_res)
                if turn in (90, 270):
                    return turn, None
                if turn == 180:  # every line turned with the page, not each by its own vote
                    crops = [np.ascontiguousarray(np.rot90(c, 2)) for c in crops]
                rec = ocr._load_rec_model()(TextRecInput(img=crops, return_word_box=False))
                out = ocr.build_final_output(padded, det, classed, rec, crops, record)
        except Exception as err:  # onnxruntime and cv2 raise many types; all mean "failed"
            raise EngineError(f"rapidocr failed: {err}") from err
        words = _words(out)
        if turn == 180:
            width, height = image.size
            words = [Word(w.text, width - w.left - w.width, height - w.top - w.height,
                          w.width, w.height, w.conf) for w in words]
        return turn, words

    def text(self, image: Image.Image) -> tuple[str, float | None]:
        """The plain text, one printed line a line, and the mean recognition confidence."""
        return joined(self.words(image))

    def turn(self, image: Image.Image) -> int:
        """Degrees (0, 90, 180, 270) to turn ``image`` counter-clockwise (``Image.rotate``) so
        its text reads upright; 0 when it has too little text to tell.

        The detector finds the text lines on a small copy: lines taller than wide mean the photo
        is on its side. The longest lines are then read both ways the axis allows (0 or 180, 90
        or 270) and the direction whose reading the recogniser is surer of wins.
        """
        small = _rgb(image)
        scale = min(1.0, ORIENT_SIDE / max(small.size))
        if scale < 1.0:
            small = small.resize((max(1, round(small.width * scale)),
                                  max(1, round(small.height * scale))), Image.Resampling.BILINEAR)
        det = self._run(np.asarray(small), cls=False, rec=False)
        if det.boxes is None or len(det.boxes) < 2:
            return 0
        extents = [_extent(box, 1 / scale) for box in det.boxes]
        candidates = (90, 270) if page_turn.sideways(extents) else (0, 180)
        longest = sorted(extents, key=lambda e: max(e[2] - e[0], e[3] - e[1]),
                         reverse=True)[:ORIENT_SAMPLES]
        rgb = np.asarray(_rgb(image))
        crops = [_clip(rgb[round(y0):round(y1), round(x0):round(x1)]) for x0, y0, x1, y1
                 in longest]
        crops = [c for c in crops if min(c.shape[:2]) >= 4]
        if not crops:
            return 0
        first, second = candidates
        lead = 0.0
        for start in range(0, len(crops), ORIENT_BATCH):
            batch = crops[start:start + ORIENT_BATCH]
            lead += self._sureness(batch, first) - self._sureness(batch, second)
            if abs(lead) >= CLEAR_LEAD:
                break
        return first if lead >= 0 else second

    def _sureness(self, crops: list[np.ndarray], angle: int) -> float:
        """The recogniser's mean confidence over ``crops`` each turned by ``angle``."""
        total = 0.0
        for crop in crops:
            turned = np.ascontiguousarray(np.rot90(crop, k=angle // 90))
            out = self._run(turned, det=False, cls=False, strong=False)
            scores = getattr(out, "scores", None) or ()
            texts = getattr(out, "txts", None) or ()
            if scores and any(t.strip() for t in texts):
                total += float(scores[0])
        return total / len(crops)


def joined(words: list[Word]) -> tuple[str, float | None]:
    """``words`` as plain text, one printed line a line, and their mean confidence."""
    if not words:
        return "", None
    boxes: list[tuple[Extent, str, float]] = [
        ((float(w.left), float(w.top), float(w.right), float(w.top + w.height)), w.text,
         w.conf) for w in words]
    return _join_lines(boxes), sum(w.conf for w in words) / len(words)


def _words(out: Any) -> list[Word]:
    boxes, txts = getattr(out, "boxes", None), getattr(out, "txts", None)
    scores = getattr(out, "scores", None) or ()
    if boxes is None or not txts:
        return []
    words = []
    for box, text, score in list(zip(boxes, txts, scores, strict=False))[:MAX_WORDS]:
        xs, ys = [int(p[0]) for p in box], [int(p[1]) for p in box]
        words.append(Word(str(text), min(xs), min(ys), max(xs) - min(xs),
                          max(ys) - min(ys), float(score)))
    return words


def _rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")


def _padded(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with white added below or to the right until its short side is at least
    1/``THIN`` of its long side: the detector scales the long side down to ``DET_SIDE``, and a
    strip thinner than that (a 20,000 x 10 banner) would scale to no pixels at all and fail.
    Boxes keep their coordinates (the image grows away from the origin)."""
    h, w = rgb.shape[:2]
    need = max(h, w) // THIN
    if min(h, w) >= need:
        return rgb
    pad = ((0, need - h), (0, 0), (0, 0)) if h < w else ((0, 0), (0, need - w), (0, 0))
    return np.pad(rgb, pad[:rgb.ndim], constant_values=255)


def _clip(crop: np.ndarray) -> np.ndarray:
    """The first CROP_ASPECT heights of a line (its across-the-line size is the smaller one)."""
    h, w = crop.shape[:2]
    if w >= h:
        return crop[:, :min(w, CROP_ASPECT * h)]
    return crop[:min(h, CROP_ASPECT * w), :]


def _extent(box: Any, factor: float) -> tuple[float, float, float, float]:
    xs = [float(p[0]) * factor for p in box]
    ys = [float(p[1]) * factor for p in box]
    return min(xs), min(ys), max(xs), max(ys)


Extent = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _join_lines(boxes: list[tuple[Extent, str, float]]) -> str:
    """Group RapidOCR's text boxes into printed lines (vertical centres within half a box height
    of the line's first box), each line left to right."""
    lines: list[list[tuple[Extent, str, float]]] = []
    for item in sorted(boxes, key=lambda b: (b[0][1] + b[0][3]) / 2):
        (_, y0, _, y1), _, _ = item
        centre = (y0 + y1) / 2
        if lines:
            ref = lines[-1][0][0]
            if abs(centre - (ref[1] + ref[3]) / 2) <= (ref[3] - ref[1]) / 2:
                lines[-1].append(item)
                continue
        lines.append([item])
    return "\n".join(" ".join(t for _, t, _ in sorted(line, key=lambda b: b[0][0]))
                     for line in lines)
