"""The test set-up itself (tests/conftest.py): the fast tier's guard (a test here that starts a
process or loads an ONNX model fails, so `make test-fast` stays free of both) and the Redis
database of each xdist worker."""

from __future__ import annotations

import multiprocessing
import os
import subprocess

import onnxruntime
import pytest

from tests.conftest import FastTierViolation, worker_redis_url


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


@pytest.mark.parametrize(("url", "worker", "expected"), [
    ("redis://127.0.0.1:6379/13", None, "redis://127.0.0.1:6379/13"),
    ("redis://127.0.0.1:6379/13", "gw0", "redis://127.0.0.1:6379/13"),
    ("redis://127.0.0.1:6379/13", "gw1", "redis://127.0.0.1:6379/14"),
    ("redis://:pw@127.0.0.1:6379", "gw2", "redis://:pw@127.0.0.1:6379/2"),
    ("redis+cluster://127.0.0.1:7000", "gw1", "redis+cluster://127.0.0.1:7000"),
])
def test_each_xdist_worker_gets_its_own_database(url, worker, expected) -> None:
    """Fixtures flush the tests' database: two workers on one would empty each other's."""
    assert worker_redis_url(url, worker) == expected
