"""Running the `miru` command line in a subprocess, with settings rooted in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MIRU_", "SLACK_"))}
    e.update({
        "MIRU_DATA_DIR": str(tmp_path / "data"),
        "MIRU_AUDIT_PATH": str(tmp_path / "data" / "audit.jsonl"),
        "MIRU_VLM_BACKEND": "ocr",
        "MIRU_AUDIT_SECRET": "cli-test-secret-0123456789abcdef-012345",
        "MIRU_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        # the tests' own Redis database (miru ask puts held cases on the shared review queue)
        "MIRU_REDIS_URL": os.environ.get("MIRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
    })
    return e


def miru(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 240
         ) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS`; a traceback on stderr, or death by a signal (a segfault in a
    native library: exit 139 in a shell), fails the calling test."""
    proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode >= 0, (
        f"miru died of signal {-proc.returncode} (stdout {len(proc.stdout)} chars): "
        + proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
