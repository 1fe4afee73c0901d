"""``miru audit verify [PATH]``: check the keyed chain, then the head against the Redis anchor.

Prints a verdict line, then one line for the chain and one for the head, saying what was and was
not checked; exits 1 on any failure (a bad line, lines missing at the end, a missing file), 0
otherwise. Without Redis the chain is still checked and the head line says it was not.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot import keys
from bot.cli.exitcodes import EX_FAIL, EX_OK
from bot.evidence.audit import Anchor, VerifyResult, chain_of, parse_line, verify
from bot.evidence.secrets import chain_key
from bot.review.model import iso
from bot.stores.redis_base import REDIS_FAILURES, open_sync_client
from config.settings import Settings


def fetch_anchor(redis_url: str, chain: str) -> tuple[Anchor | None, str]:
    """The chain's anchor from Redis and, when there is none, why (unreachable, absent)."""
    client = None
    try:  # a cluster client connects (finds the nodes) when it is made
        client = open_sync_client(redis_url, socket_connect_timeout=2, socket_timeout=2)
        raw = client.hgetall(keys.audit_head(chain))
    except REDIS_FAILURES as exc:
        return None, (f"Redis unreachable ({type(exc).__name__}); records cut off the end "
                      "cannot be detected offline")
    finally:
        if client is not None:
            client.close()
    anchor = Anchor.parse(raw)
    if anchor is None:
        return None, f"Redis holds no anchor for chain {chain[:12]}… (written without Redis)"
    return anchor, ""


def verify_command(path_arg: str | None, settings: Settings) -> int:
    path = Path(path_arg) if path_arg else settings.audit_path
    if not path.exists():
        print(f"miru: no audit log at {path}", file=sys.stderr)
        return EX_FAIL
    key = chain_key(settings)
    chain = chain_of(path)
    anchor, why = (fetch_anchor(settings.redis_url, chain) if chain
                   else (None, "the file names no chain (empty or unreadable first line)"))
    result = verify(path, key.value, anchor)
    for line in report(result, why, key.describe("MIRU_AUDIT_KEY")):
        print(line)
    return EX_OK if result.ok else EX_FAIL


def report(result: VerifyResult, why_no_anchor: str, key_source: str) -> list[str]:
    """The lines ``verify_command`` prints: a verdict, then what the chain and head checks
    found (and what was not checked)."""
    verdict = (f"ok {result.count} records" if result.ok
               else f"bad record at line {result.bad_line}: {result.reason}")
    truncated = result.reason.startswith(("truncated:", "differs from the Redis anchor"))
    if result.ok or truncated:
        chain = f"chain: ok, {result.count} records (HMAC-SHA256, key {key_source})"
    else:
        chain = (f"chain: FAIL at line {result.bad_line}: {result.reason} "
                 f"({result.count} records verified before it)")
    if truncated:
        head = f"head: FAIL at line {result.bad_line}: {result.reason}"
    elif result.head_checked:
        head = "head: ok, the file's end matches the Redis anchor"
        if result.unanchored:
            head += (f" at line {result.count - result.unanchored}; the last "
                     f"{result.unanchored} records were not anchored (Redis was away)")
    elif not result.ok:
        head = "head: not checked (the chain failed first)"
    else:
        head = f"head: NOT CHECKED: {why_no_anchor}"
    return [verdict, chain, head]


EXPORT_COLUMNS = ("n", "time", "kind", "request_id", "actor", "platform", "channel", "thread",
                  "action", "reasons", "case", "images", "detail")


def parse_since(value: str) -> float:
    """``--since``: an ISO date or date-time (UTC unless it names a zone); ``ValueError``."""
    from datetime import UTC, datetime

    when = datetime.fromisoformat(value.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def export_command(settings: Settings, since: str | None, as_csv: bool,
                   path_arg: str | None = None) -> int:
    """``miru audit export [--since DATE] [--csv]``: the records (JSON lines as written, or CSV
    with one row each) from ``since`` on. The chain is verified first; a broken chain is named
    on stderr and the export stops before the bad line (exit 1)."""
    import csv
    import json

    path = Path(path_arg) if path_arg else settings.audit_path
    if not path.exists():
        print(f"miru: no audit log at {path}", file=sys.stderr)
        return EX_FAIL
    try:
        start = parse_since(since) if since else None
    except ValueError:
        print(f"miru: --since {since!r} is not a date (use 2026-11-28 or "
              "2026-11-28T09:00:00+09:00)", file=sys.stderr)
        return 2
    result = verify(path, chain_key(settings).value)
    writer = csv.writer(sys.stdout) if as_csv else None
    if writer is not None:
        writer.writerow(EXPORT_COLUMNS)
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not result.ok and result.bad_line is not None and number >= result.bad_line:
                break
            obj = parse_line(raw)
            if start is not None and float(obj.get("ts", 0)) < start:
                continue
            if writer is None:
                sys.stdout.write(raw.decode())
                continue
            detail = obj.get("detail") or {}
            writer.writerow([obj.get("n"), iso(float(obj.get("ts", 0))), obj.get("kind"),
                             obj.get("request_id"), obj.get("actor"), obj.get("platform"),
                             obj.get("channel"), obj.get("thread"), obj.get("action"),
                             ";".join(obj.get("reasons") or ()), detail.get("case", ""),
                             ";".join(obj.get("image_sha256") or ()),
                             json.dumps(detail, ensure_ascii=False, sort_keys=True)])
    if not result.ok:
        print(f"miru: the audit chain fails at line {result.bad_line}: {result.reason}; "
              "exported the records before it", file=sys.stderr)
        return EX_FAIL
    return EX_OK
