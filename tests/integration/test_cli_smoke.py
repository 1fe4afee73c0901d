"""`python -m bot` as a real process: start-up, the JSON on stdout and the exit status the shell
sees. The other command-line tests call ``main(argv)`` in process (tests/clirun.py); these few
check that the entry point behaves the same (signals: tests/integration/test_ops.py; a reader
that goes away: tests/integration/test_cli_safe_defaults.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clirun import miru, miru_process


def test_ask_in_a_process_exits_0_with_the_same_json_as_in_process(env, tmp_path: Path,
                                                                     coffee_jpeg: bytes):
    photo = tmp_path / "coffee.jpg"
    photo.write_bytes(coffee_jpeg)
    proc = miru_process(env, "ask", str(photo), "-q", "what is this?", "--json")
    assert proc.returncode == 0, proc.stderr
    inproc = miru(env, "ask", str(photo), "-q", "what is this?", "--json")
    out, same = json.loads(proc.stdout), json.loads(inproc.stdout)
    assert out["verdict"]["action"] == same["verdict"]["action"] == "allow"
    assert out["images"][0]["sha256"] == same["images"][0]["sha256"]


def test_bad_input_and_bad_usage_exit_65_and_2_in_a_process(env, tmp_path: Path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is a text file")
    rejected = miru_process(env, "ask", str(fake), "--json")
    assert rejected.returncode == 65
    assert json.loads(rejected.stdout)["error"]["code"] == "unsupported_format"
    usage = miru_process(env, "ask")
    assert usage.returncode == 2 and "usage: miru ask" in usage.stderr
    assert miru(env, "ask").returncode == 2
