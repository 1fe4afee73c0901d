"""Running the `miru` command line with settings rooted in a temporary folder.

``miru(env, *args)`` calls ``bot.cli.main.main(argv)`` in this process (a thread of its own, so
it works from async tests too): ``env`` becomes the whole environment for the call, stdin, stdout
and stderr are buffers, and what the process-wide set-up of a run leaves behind (logging handlers
and levels, structlog's configuration) is put back afterwards. The safety models come from the
session's one loaded set (tests/conftest.py ``_shared_safety_models``). The long-running commands
(``run``, ``worker``, ``serve-api``: signal handlers, ports) and ``miru_process`` run
``python -m bot`` in a subprocess: the smoke tests of start-up, exit codes and signals.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import structlog

# Commands that install signal handlers or serve until stopped: always a real process.
PROCESS_COMMANDS = frozenset({"run", "worker", "serve-api"})
# Read once, when huggingface_hub / transformers are imported: an env that changes them needs a
# fresh process to mean anything.
IMPORT_TIME_VARS = ("HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
                    "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "TRANSFORMERS_OFFLINE")
_one_at_a_time = threading.Lock()  # the environment and sys.std* are the process's


def cli_env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MIRU_", "SLACK_"))}
    e.update({
        "MIRU_DATA_DIR": str(tmp_path / "data"),
        "MIRU_AUDIT_PATH": str(tmp_path / "data" / "audit.jsonl"),
        "MIRU_VLM_BACKEND": "ocr",
        "MIRU_AUDIT_SECRET": "cli-test-secret-0123456789abcdef-012345",
        "MIRU_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        # the tests' own Redis database (miru ask puts held cases on the shared review queue);
        # tests/conftest.py puts this xdist worker's database here
        "MIRU_REDIS_URL": os.environ.get("MIRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
    })
    return e


def miru(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 240
         ) -> subprocess.CompletedProcess[str]:
    """Run `miru ARGS` in process (``PROCESS_COMMANDS``, and an ``env`` that changes an
    ``IMPORT_TIME_VARS`` setting, in a subprocess). A traceback on stderr fails the calling
    test; an exception out of ``main`` is raised here."""
    if (args and args[0] in PROCESS_COMMANDS) or any(
            env.get(k) != os.environ.get(k) for k in IMPORT_TIME_VARS):
        return miru_process(env, *args, stdin=stdin, timeout=timeout)
    return _in_process(env, list(args), stdin, timeout)


def miru_process(env: dict[str, str], *args: str, stdin: str | None = None,
                 timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in a subprocess; a traceback on stderr, or death by a signal (a
    segfault in a native library: exit 139 in a shell), fails the calling test."""
    proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode >= 0, (
        f"miru died of signal {-proc.returncode} (stdout {len(proc.stdout)} chars): "
        + proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _in_process(env: dict[str, str], argv: list[str], stdin: str | None, timeout: float
                ) -> subprocess.CompletedProcess[str]:
    from bot.cli.main import main

    out, err = _Capture(), _Capture()
    result: list[int] = []
    failure: list[BaseException] = []

    def call() -> None:
        try:
            result.append(main(argv))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code
            result.append(code if isinstance(code, int) else (0 if code is None else 1))
            if isinstance(code, str):
                print(code, file=sys.stderr)
        except BaseException as exc:
            failure.append(exc)

    with _one_at_a_time, _environment(env), _stdio(stdin, out, err), _restored_logging():
        worker = threading.Thread(target=call, name="miru-in-process", daemon=True)
        worker.start()
        worker.join(timeout)
    if worker.is_alive():
        raise subprocess.TimeoutExpired(["miru", *argv], timeout, out.text(), err.text())
    if failure:
        raise failure[0]
    proc = subprocess.CompletedProcess(["miru", *argv], result[0], out.text(), err.text())
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


class _Capture(io.TextIOWrapper):
    """A text stream over bytes (``.buffer`` for binary output), read back as a subprocess's
    ``text=True`` output would be (universal newlines)."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="replace", newline="")

    def text(self) -> str:
        self.flush()
        raw = self.buffer.getvalue().decode("utf-8", errors="replace")  # type: ignore[attr-defined]
        return raw.replace("\r\n", "\n").replace("\r", "\n")

    def close(self) -> None:  # a command that closes stdout must not lose what it wrote
        self.flush()


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdio(stdin: str | None, out: _Capture, err: _Capture) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO((stdin or "").encode()), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _restored_logging() -> Iterator[None]:
    """``configure_logging`` (called by ``main``) sets the root logger's level and handler, a
    few library loggers' levels and structlog's configuration: all put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    named = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        for name, old in named.items():
            logging.getLogger(name).setLevel(old)
        structlog.reset_defaults()
