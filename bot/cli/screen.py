"""``miru screen``: verdicts for many files in one process, one line (or JSON object) per file."""

from __future__ import annotations

from pathlib import Path

from bot.cli.exitcodes import EX_DATAERR, EX_OK
from bot.cli.local import expand_paths
from bot.cli.output import dumps, verdict_json
from bot.errors import InputRejected
from bot.imaging.ingest import check_size
from config.settings import Settings
from safety.policy import context_for


async def screen_command(items: list[str], *, text: str, as_json: bool,
                         settings: Settings) -> int:
    from bot.app import build_screening
    from bot.evidence.secrets import open_audit_log

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
        check_size(path.stat().st_size, max_bytes, path.name)
        decoded = await ingestor.decode(path.read_bytes(), name=path.name)
    except InputRejected as exc:
        return _rejected(path, exc.code, exc.user_message("en", name=path.name), as_json), False
    except OSError as exc:
        return _rejected(path, "unreadable", f"cannot read {path.name}: {exc.strerror}",
                         as_json), False
    verdict = await screener.screen([decoded], context_for(policy, "cli", text))
    await audit.write(audit.record(
        "verdict", f"screen:{decoded.original_sha256[:16]}", platform="cli",
        images=[decoded.original_sha256], verdict=verdict))
    if as_json:
        return dumps({"file": str(path), "verdict": verdict_json(verdict)}), True
    reasons = ", ".join(verdict.reasons) or "no findings"
    return f"{path}: {verdict.action.value} ({reasons})", True


def _rejected(path: Path, code: str, message: str, as_json: bool) -> str:
    if as_json:
        return dumps({"file": str(path), "error": {"code": code, "message": message}})
    return f"{path}: rejected: {message}"
