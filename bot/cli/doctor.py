"""``miru doctor``: each check (``bot.health``) says what it found and, when it fails, how to
fix it. A warning is shown with its fix but is not a problem (exit 0)."""

from __future__ import annotations

from bot.health import run_checks
from bot.models import SetupCheck as Check
from config.settings import Settings

MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def doctor(settings: Settings) -> int:
    """Print every check; the number of problems found (failed checks)."""
    problems = 0
    for check in run_checks(settings):
        print(f"[{MARKS[check.state]}] {check.name}: {check.detail}")
        problems += not check.ok
        if check.state != "ok":
            print(f"       fix: {check.fix}")
    print("all good" if not problems else f"{problems} problem(s) found")
    return problems


__all__ = ["Check", "doctor", "run_checks"]
