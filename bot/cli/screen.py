"""``miru screen``: verdicts for many files in one process, one line (or JSON object) per file."""

from __future__ import annotations

from pathlib import Path

from bot.api.contract import screen_image
from bot.cli.exitcodes import EX_DATAERR, EX_OK
from bot.cli.local import expand_paths
from bot.cli.output import dumps
from bot.evidence.secrets import open_audit_log
from bot.wiring import build_screening
from config.settings import Settings


async def screen_command(items: list[str], *, text: str, as_json: bool,
                         settings: Settings) -> int:
    paths = expand_paths(items)
    if not paths:
        print("miru: no image files found in " + ", ".join(items))
        return EX_DATAERR
    ingestor, screener, policy = build_screening(settings)
    audit = open_audit_log(settings)
    usable = 0
    try:
        for path in paths:
            line, ok = await _screen_one(path, text, ingestor, screener, policy, audit, as_json,
                                         settings.max_bytes)
            usable += ok
            print(line, flush=True)
    finally:
        ingestor.close()
    return EX_OK if usable else EX_DATAERR


async def _screen_one(path: Path, text, ingestor, screener, policy, audit, as_json,
                      max_bytes) -> tuple[str, bool]:
    try:
        size = path.stat().st_size
        data = b"" if size > max_bytes else path.read_bytes()
    except OSError as exc:
        return _rejected(path, "unreadable", f"cannot read {path.name}: {exc.strerror}",
                         as_json), False
    got = await screen_image(data, path.name, size=size, max_bytes=max_bytes, text=text,
                             ingestor=ingestor, screener=screener, policy=policy, audit=audit,
                             channel="cli", platform="cli")
    if got.error is not None:
        return _rejected(path, got.error[0], got.error[1], as_json), False
    if as_json:
        return dumps(got.as_json(str(path))), True
    assert got.verdict is not None
    reasons = ", ".join(got.verdict.reasons) or "no findings"
    return f"{path}: {got.verdict.action.value} ({reasons})", True


def _rejected(path: Path, code: str, message: str, as_json: bool) -> str:
    if as_json:
        return dumps({"file": str(path), "error": {"code": code, "message": message}})
    return f"{path}: rejected: {message}"
