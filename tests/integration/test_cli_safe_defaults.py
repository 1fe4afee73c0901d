"""Safe defaults of the command line (issue 19): listeners on 127.0.0.1 unless told otherwise, a
busy port is one line and an exit status, a reader that goes away (``| head``) ends the command
quietly. Through ``bot.cli.main.main(argv)`` in this process where that can show it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.exitcodes import EX_FAIL, EX_PIPE
from bot.cli.main import _parser, main
from bot.evidence.audit import AuditLog
from bot.models import AuditRecord
from tests.clirun import cli_env

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("argv, field", [
    (["serve-api"], "host"),
    (["run", "slack", "--http"], "host"),
    (["worker", "--metrics-port", "9100"], "metrics_host"),
])
def test_every_listener_defaults_to_this_machine_only(argv, field):
    assert getattr(_parser().parse_args(argv), field) == "127.0.0.1"
    exposed = _parser().parse_args([*argv, f"--{field.replace('_', '-')}", "0.0.0.0"])
    assert getattr(exposed, field) == "0.0.0.0"


def test_the_compose_file_exposes_what_containers_must():
    import yaml

    root = Path(__file__).resolve().parents[2]
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    for name, flag in (("slack", "--host"), ("api", "--host"), ("worker", "--metrics-host")):
        command = services[name]["command"]
        assert command[command.index(flag) + 1] == "0.0.0.0", name
    assert '"--host", "0.0.0.0"' in (root / "Dockerfile").read_text()


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    e = cli_env(tmp_path)
    for k in [k for k in os.environ if k.startswith(("MIRU_", "SLACK_"))]:
        monkeypatch.delenv(k)
    for k, v in e.items():
        monkeypatch.setenv(k, v)
    return e


def test_a_busy_port_is_one_line_and_exit_1(env, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["serve-api", "--port", str(port)])
    err = capsys.readouterr().err
    assert status == EX_FAIL
    assert f"miru: cannot listen on 127.0.0.1:{port}: the port is in use" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def _audit_log(path: Path, n: int) -> None:
    async def write() -> None:
        log = AuditLog(path, os.environ["MIRU_AUDIT_SECRET"].encode())
        for i in range(n):
            await log.write(AuditRecord(kind="verdict", request_id=f"r{i}", ts=1.7e9 + i,
                                        action="allow", detail={"pad": "x" * 200}))
    asyncio.run(write())


def test_export_into_a_closed_pipe_ends_quietly(env, tmp_path, monkeypatch, capsys):
    path = tmp_path / "data" / "audit.jsonl"
    _audit_log(path, 200)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone, as after `| head` has read its lines
    stdout = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        status = main(["audit", "export", str(path)])
    finally:
        monkeypatch.undo()
        stdout.close()  # what was still buffered goes to /dev/null now: no error
    assert status == EX_PIPE
    assert "Traceback" not in capsys.readouterr().err


def test_export_piped_into_head_prints_no_traceback(env, tmp_path):
    path = tmp_path / "data" / "audit.jsonl"
    _audit_log(path, 2000)  # ~600 KB: more than a pipe holds
    proc = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m bot audit export "{path}" | head -n 1; '
                       'echo "status ${PIPESTATUS[0]}" >&2'],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.stdout.count("\n") == 1 and '"request_id":"r0"' in proc.stdout
    assert proc.stderr.strip() == f"status {EX_PIPE}", proc.stderr
