"""`miru ask` through the configured transformers model (a tiny one built here), and `miru chat`
remembering the images across follow-ups, in one process and across sessions through Redis."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from bot.samples import png_bytes, render_sign
from tests import tinyvlm
from tests.clirun import miru

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    return str(tinyvlm.build(tmp_path_factory.mktemp("tinyvlm")))


@pytest.fixture
def sign(tmp_path: Path) -> Path:
    path = tmp_path / "sign.png"
    path.write_bytes(png_bytes(render_sign(["NO PARKING", "TOW AWAY ZONE"], "en").image))
    return path


def chat(env: dict[str, str], *args: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    return miru(env, "chat", *args, stdin="\n".join(lines) + "\n")


def test_ask_answers_through_the_configured_transformers_model(env, coffee_jpeg, tiny_model,
                                                               tmp_path):
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(coffee_jpeg)
    proc = miru(dict(env, MIRU_VLM_BACKEND="transformers", MIRU_VLM_MODEL=tiny_model,
                     MIRU_VLM_MAX_NEW_TOKENS="8"),
                "ask", str(photo), "-q", "what is this?", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["engine"] == "transformers" and out["error"] is None
    assert out["verdict"]["action"] == "allow"
    assert isinstance(out["answer"], str) and out["answer"]


def test_ask_with_a_model_that_is_not_there_falls_back_with_a_note(env, coffee_jpeg, tmp_path):
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(coffee_jpeg)
    proc = miru(dict(env, MIRU_VLM_BACKEND="transformers", MIRU_VLM_MODEL="nobody/no-such-model"),
                "ask", str(photo))
    assert proc.returncode == 0
    assert "MIRU_VLM_MODEL" in proc.stderr and "miru models pull" in proc.stderr
    assert "Answer (ocr)" in proc.stdout


def test_chat_follow_up_keeps_the_image(env, sign):
    proc = chat(env, str(sign), lines=["what does it say?", "and once more?", "/quit"])
    assert proc.returncode == 0, proc.stderr
    answers = [line for line in proc.stdout.splitlines() if "PARKING" in line]
    assert len(answers) == 2, proc.stdout  # the second question carried no image


def test_chat_thread_in_redis_resumes_in_a_new_session(env, sign):
    thread = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(env, MIRU_REDIS_URL="redis://127.0.0.1:6379/12")
    first = chat(env, str(sign), "--thread", thread, lines=["what does it say?"])
    assert first.returncode == 0 and "PARKING" in first.stdout
    second = chat(env, "--thread", thread, lines=["remind me?", "/forget", "and now?"])
    assert second.returncode == 0
    after = second.stdout.split("(forgot this thread")
    assert "PARKING" in after[0] and "PARKING" not in after[1], second.stdout


def test_chat_missing_image_file_is_reported_not_fatal(env, sign, tmp_path):
    proc = chat(env, str(tmp_path / "nope.jpg"), lines=["what is it?", f"/image {sign}",
                                                      "and this one?"])
    assert proc.returncode == 0
    assert "not used" in proc.stdout and "PARKING" in proc.stdout
