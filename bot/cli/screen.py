"""``miru screen``: verdicts for many files in one process, one line (or JSON object) per file.

A file whose verdict is ``hold`` or ``block_and_preserve`` is kept first, as in chat: a case in
the shared review queue when Redis answers, else the local quarantine folder. Where it can be
kept nowhere, its line says so instead of a verdict and the command exits 1 (fail closed).
"""

from __future__ import annotations

from pathlib import Path

from bot.api.contract import keep_with, screen_image
from bot.cli.exitcodes import EX_DATAERR, EX_FAIL, EX_OK
from bot.cli.local import cli_message, expand_paths
from bot.cli.output import dumps
from bot.cli.review import redis_client_if_up
from bot.errors import EvidenceNotKept
from bot.evidence.secrets import open_audit_log
from bot.review.keep import EvidenceKeeper
from bot.wiring import build_screening, open_evidence_keeper
from config.settings import Settings


async def screen_command(items: list[str], *, text: str, as_json: bool,
                         settings: Settings) -> int:
    paths = expand_paths(items)
    if not paths:
        print("miru: no image files found in " + ", ".join(items))
        return EX_DATAERR
    ingestor, screener, policy = build_screening(settings)
    redis = None
    usable, unkept = 0, 0
    try:  # a bad audit or quarantine key fails the set-up: the client is closed all the same
        audit = open_audit_log(settings)
        redis = await redis_client_if_up(settings)  # kept cases join the shared queue
        keeper = open_evidence_keeper(settings, policy, audit, redis)
        for path in paths:
            try:
                line, ok = await _screen_one(path, text, ingestor, screener, policy, audit,
                                             as_json, settings.max_bytes, keeper)
            except EvidenceNotKept as exc:  # no verdict for what was not kept
                unkept += 1
                message = exc.user_message("en", name=path.name)
                line, ok = (dumps({"file": str(path), "error": {
                    "code": exc.code, "message": message}}) if as_json
                    else f"{path}: not screened: {message}"), False
            usable += ok
            print(line, flush=True)
    finally:
        ingestor.close()
        if redis is not None:
            await redis.aclose()
    if unkept:
        return EX_FAIL
    return EX_OK if usable else EX_DATAERR


async def _screen_one(path: Path, text, ingestor, screener, policy, audit, as_json,
                      max_bytes, keeper: EvidenceKeeper) -> tuple[str, bool]:
    try:
        size = path.stat().st_size
        data = b"" if size > max_bytes else path.read_bytes()
    except OSError as exc:
        return _rejected(path, "unreadable", f"cannot read {path.name}: {exc.strerror}",
                         as_json), False
    keep = keep_with(keeper, cli_message([path], text))
    got = await screen_image(data, path.name, size=size, max_bytes=max_bytes, text=text,
                             ingestor=ingestor, screener=screener, policy=policy, audit=audit,
                             channel="cli", platform="cli", keep=keep)
    if got.error is not None:
        return _rejected(path, got.error[0], got.error[1], as_json), False
    if as_json:
        return dumps(got.as_json(str(path))), True
    assert got.verdict is not None
    reasons = ", ".join(got.verdict.reasons) or "no findings"
    case = f" case {got.case}" if got.case else ""
    return f"{path}: {got.verdict.action.value} ({reasons}){case}", True


def _rejected(path: Path, code: str, message: str, as_json: bool) -> str:
    if as_json:
        return dumps({"file": str(path), "error": {"code": code, "message": message}})
    return f"{path}: rejected: {message}"
