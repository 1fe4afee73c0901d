"""The fast tier's guard (tests/conftest.py): a test here that starts a process or loads an ONNX
model fails, so `make test-fast` stays free of both."""

from __future__ import annotations

import multiprocessing
import os
import subprocess

import onnxruntime
import pytest

from tests.conftest import FastTierViolation


def test_a_subprocess_is_refused() -> None:
    with pytest.raises(FastTierViolation, match="subprocess"):
        subprocess.run(["true"], check=False)


def test_a_worker_process_and_a_fork_are_refused() -> None:
    with pytest.raises(FastTierViolation, match="worker process"):
        multiprocessing.get_context("spawn").Process(target=print).start()
    with pytest.raises(FastTierViolation, match="fork"):
        os.fork()


def test_an_onnx_session_is_refused(tmp_path) -> None:
    with pytest.raises(FastTierViolation, match="ONNX"):
        onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
