"""The tamper-evident audit log: one JSON line per decision, HMAC-chained, fsynced, anchored.

Each line holds ``chain`` (a random id its file's first line chose), ``n`` (its 1-based line
number), ``prev`` (the previous line's ``hash``; ``GENESIS`` for line 1) and ``hash``: the
HMAC-SHA256, under the *chain key*, of the line's canonical JSON without ``hash``. Without the key
nobody can re-chain an edited line (a plain SHA-256 chain can be recomputed by anyone who can write
the file). Changing, deleting or reordering a line, or cutting the file mid-line, breaks the chain
at that line, which ``verify`` names.

The MAC covers the exact bytes of the line, not just what a JSON parser makes of it: a line is
written as the canonical serialisation of its object, and ``verify`` parses it (refusing duplicate
keys), serialises it again and requires the very same bytes before it checks the MAC. A key put in
front of the object (``{"action":"allow",...`` prepended, which most parsers drop for the later
duplicate but some readers show), extra spaces, escapes or reordered keys fail, though the parsed
object would verify. Lines have always been written canonically, so older logs verify unchanged.

Lines cut off at the *end* leave a valid shorter chain, so the head is anchored outside the file:
when a Redis client is given, one Lua script mirrors the line to a capped stream and raises the
chain's anchor (``keys.audit_head``: count and hash of its furthest line) atomically. ``verify``
compares the file with the anchor when one is given. A Redis failure is logged and never costs the
file record. Several processes may append to one file: each write holds an exclusive ``flock`` while
it reads (and checks) the last line and appends.

The chain is hand-written: it is a few lines over ``hmac``, and the append-only JSON-lines
libraries found neither chain under a key nor lock across processes.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot import keys
from bot.errors import AuditError, CodecError
from bot.models import AuditKind, AuditRecord
from bot.stores.codec import audit_to_dict
from bot.stores.redis_base import register_script
from safety.types import Verdict

if TYPE_CHECKING:
    from bot.stores.redis_base import RedisLike

log = logging.getLogger(__name__)

GENESIS = "0" * 64
Tap = Callable[[dict[str, Any]], Awaitable[None]]
CHAIN_KEY_LABEL = b"miru/audit-chain/v1"  # domain separation from the pseudonym HMAC
_TAIL_CHUNK = 64 * 1024
_SECRET_KEY = re.compile(r"token|secret|password|authorization|cookie", re.IGNORECASE)
_TOKEN_VALUE = re.compile(r"\bxox[abposr]-|\bxapp-|\bBearer\s", re.IGNORECASE)

# XADD the line and raise the head only if this line is further along: writers that appended in
# one order may mirror in another, and the anchor must never move back.
_MIRROR_LUA = """
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'line', ARGV[2])
local cur = tonumber(redis.call('HGET', KEYS[2], 'count') or '0')
if tonumber(ARGV[3]) > cur then
  redis.call('HSET', KEYS[2], 'count', ARGV[3], 'hash', ARGV[4])
end
return cur
"""


def canonical(obj: dict[str, Any]) -> bytes:
    """The one byte form that is MACed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class DuplicateKey(ValueError):
    """A JSON object names one key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise DuplicateKey(f"duplicate key {k[:40]!r}")
        obj[k] = v
    return obj


def parse_line(raw: bytes) -> Any:
    """One line parsed strictly: ``ValueError`` for invalid JSON or a key given twice in any
    object (a second ``action`` must not hide behind the first)."""
    return json.loads(raw, object_pairs_hook=_unique_keys)


def is_canonical(raw: bytes, obj: dict[str, Any]) -> bool:
    """``raw`` (with or without its newline) is exactly the bytes ``canonical(obj)`` writes."""
    try:
        return canonical(obj) == raw.removesuffix(b"\n")
    except (TypeError, ValueError):  # a value json cannot write back (e.g. a lone surrogate)
        return False


def derive_chain_key(secret: bytes) -> bytes:
    """The chain key derived from the pseudonym secret (HKDF-SHA256, label ``CHAIN_KEY_LABEL``):
    used only when no separate key (``MIRU_AUDIT_KEY``/``_FILE``) is configured."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=CHAIN_KEY_LABEL).derive(secret)


def line_mac(obj: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) under ``key`` of the canonical JSON of ``obj`` without its ``hash``."""
    body = canonical({k: v for k, v in obj.items() if k != "hash"})
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _mac_ok(obj: dict[str, Any], key: bytes) -> bool:
    return isinstance(obj.get("hash"), str) and hmac.compare_digest(line_mac(obj, key),
                                                                     obj["hash"])


class AuditLog:
    """Appends ``AuditRecord``s to ``path`` (and mirrors them to Redis when given).

    ``secret`` keys the pseudonyms; ``chain_key`` keys the hash chain (derived from ``secret``
    when not given)."""

    def __init__(self, path: Path, secret: bytes, redis: RedisLike | None = None, *,
                 chain_key: bytes | None = None, stream: str = keys.AUDIT_STREAM,
                 stream_maxlen: int = keys.AUDIT_STREAM_MAXLEN) -> None:
        if not secret:
            raise AuditError("the audit secret (MIRU_AUDIT_SECRET) must not be empty")
        self.path = Path(path)
        self._secret = secret
        self._chain_key = chain_key or derive_chain_key(secret)
        self._redis = redis
        self._stream = stream
        self._stream_maxlen = stream_maxlen
        self._script = register_script(redis, _MIRROR_LUA) if redis is not None else None
        self._taps: list[Tap] = []

    def add_tap(self, tap: Tap) -> None:
        """Call ``tap(line)`` with every line written, after it is written (the integration
        events of ``bot.evidence.events``). A tap that raises is logged; the record stands."""
        self._taps.append(tap)

    def pseudonym(self, platform: str, user: str) -> str:
        """A stable pseudonymous id: HMAC-SHA256 of ``platform:user`` under the secret (32 hex)."""
        mac = hmac.new(self._secret, f"{platform}:{user}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def record(self, kind: AuditKind, request_id: str, *, platform: str = "", user: str = "",
               channel: str = "", thread: str = "", images: Sequence[str] = (),
               verdict: Verdict | None = None, action: str = "",
               detail: dict[str, Any] | None = None) -> AuditRecord:
        """The one way records are built: the user becomes a pseudonym here, a verdict fills
        the action, reasons, scores and model versions."""
        return AuditRecord(
            kind=kind, request_id=request_id, ts=time.time(),
            actor=self.pseudonym(platform, user) if user else "", platform=platform,
            channel=channel, thread=thread, image_sha256=tuple(images),
            action=verdict.action.value if verdict is not None else action,
            reasons=verdict.reasons if verdict is not None else (),
            scores=dict(verdict.scores) if verdict is not None else {},
            model_versions=dict(verdict.model_versions) if verdict is not None else {},
            detail=detail or {})

    async def write(self, record: AuditRecord) -> dict[str, Any]:
        """Append one record and return the JSON object written (``chain``, ``n``, ``prev``,
        ``hash`` added).

        Raises ``AuditError`` when the record holds bytes or a credential, or the file cannot
        be written (or ends in a torn line or a line this key did not write: run ``verify`` and
        start a new file).
        """
        _refuse_secrets(record.detail, "detail")
        try:
            # through JSON once, so the object MACed is the one a reader parses back (an int
            # key would sort apart from its string form)
            body = json.loads(canonical(audit_to_dict(record)))
        except CodecError as exc:
            raise AuditError(f"audit record cannot be encoded: {exc.detail}") from None
        except (TypeError, ValueError) as exc:
            raise AuditError(f"audit record cannot be encoded: {exc}") from None
        try:
            obj = await asyncio.to_thread(self._append, body)
        except OSError as exc:
            raise AuditError(f"cannot write the audit log {self.path}: {exc}") from exc
        if self._script is not None:
            await self._mirror(obj)
        for tap in self._taps:
            try:
                await tap(obj)
            except Exception as exc:  # an event lost is logged; the audit record is what counts
                log.error("audit tap failed (record %s kept): %s", obj.get("n"),
                          type(exc).__name__)
        return obj

    def _append(self, body: dict[str, Any]) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = _last_line(fd)
            if last is None:
                obj = {**body, "chain": uuid.uuid4().hex, "n": 1, "prev": GENESIS}
            elif not _mac_ok(last[0], self._chain_key) or not is_canonical(last[1], last[0]):
                raise AuditError("the audit log's last line does not verify under this key "
                                 "(tampered, another MIRU_AUDIT_KEY, or a log from before keyed "
                                 "chaining); run `miru audit verify` and start a new file")
            else:
                prev = last[0]
                obj = {**body, "chain": prev["chain"], "n": prev["n"] + 1, "prev": prev["hash"]}
            obj["hash"] = line_mac(obj, self._chain_key)
            line = canonical(obj) + b"\n"
            written = os.write(fd, line)
            if written != len(line):
                raise AuditError(f"short write to the audit log ({written}/{len(line)} bytes)")
            os.fsync(fd)
            return obj
        finally:
            os.close(fd)  # closing releases the flock

    async def _mirror(self, obj: dict[str, Any]) -> None:
        assert self._script is not None
        try:
            await self._script(keys=[self._stream, keys.audit_head(obj["chain"])],
                               args=[self._stream_maxlen, canonical(obj), obj["n"], obj["hash"]])
        except Exception as exc:  # any Redis or socket failure: the file record stands
            log.warning("audit mirror to Redis failed (file record kept): %s",
                        type(exc).__name__)


def _last_line(fd: int) -> tuple[dict[str, Any], bytes] | None:
    """The file's last line as an object and its bytes, or ``None`` for an empty file."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    tail = b""
    pos = size
    while pos > 0:
        start = max(0, pos - _TAIL_CHUNK)
        tail = os.pread(fd, pos - start, start) + tail
        pos = start
        if tail.count(b"\n") >= 2 or pos == 0:
            break
    if not tail.endswith(b"\n"):
        raise AuditError("the audit log ends in a torn line; verify it and start a new file")
    raw = tail[:-1].rsplit(b"\n", 1)[-1]
    try:
        obj = parse_line(raw)
    except ValueError:
        raise AuditError("the audit log's last line is unreadable; verify it") from None
    if not (isinstance(obj, dict) and isinstance(obj.get("hash"), str)
            and isinstance(obj.get("chain"), str) and type(obj.get("n")) is int):
        raise AuditError("the audit log's last line has no chain fields; verify it and start "
                         "a new file")
    return obj, raw


def _refuse_secrets(value: Any, where: str) -> None:
    """Raise ``AuditError`` if ``value`` holds bytes, a credential-named key or a token."""
    if isinstance(value, bytes | bytearray | memoryview):
        raise AuditError(f"audit records never hold bytes ({where})")
    if isinstance(value, str) and _TOKEN_VALUE.search(value):
        raise AuditError(f"audit records never hold tokens ({where})")
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and _SECRET_KEY.search(k):
                raise AuditError(f"audit records never hold credentials ({where}.{k})")
            _refuse_secrets(v, f"{where}.{k}")
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            _refuse_secrets(v, f"{where}[{i}]")


@dataclass(frozen=True)
class Anchor:
    """The head of one chain as Redis last saw it: its line count and that line's hash."""

    count: int
    hash: str

    @classmethod
    def parse(cls, raw: Mapping[Any, Any]) -> Anchor | None:
        """From ``HGETALL keys.audit_head(chain)`` (bytes or str); ``None`` when absent or bad."""
        get = {(k.decode() if isinstance(k, bytes) else k):
               (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}
        try:
            return cls(int(get["count"]), str(get["hash"]))
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int  # lines that verified
    bad_line: int | None = None  # 1-based number of the first bad (or first missing) line
    reason: str = ""
    chain: str = ""  # the file's chain id (from its first good line)
    head_checked: bool = False  # the file's end was compared with an anchor, and matched
    unanchored: int = 0  # good lines after the anchored head (written while Redis was away)


def chain_of(path: Path) -> str | None:
    """The chain id named by the file's first line (``None``: empty, missing or unreadable)."""
    try:
        with Path(path).open("rb") as f:
            first = f.readline()
        obj = parse_line(first)
    except (OSError, ValueError):
        return None
    chain = obj.get("chain") if isinstance(obj, dict) else None
    return chain if isinstance(chain, str) else None


def verify(path: Path, key: bytes, anchor: Anchor | None = None) -> VerifyResult:
    """Check the whole chain under ``key``; name the first line that was changed, removed, moved
    or torn. With the chain's ``anchor``, also report lines cut off the end ("truncated") and an
    anchored line that differs."""
    path = Path(path)
    if not path.exists():
        return VerifyResult(False, 0, None, "file not found")
    prev, chain, count, at_anchor = GENESIS, "", 0, None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            bad = _check_line(raw, key, number, prev, chain)
            if bad:
                return VerifyResult(False, count, number, bad, chain)
            obj = parse_line(raw)
            prev, chain, count = obj["hash"], obj["chain"], number
            if anchor is not None and number == anchor.count:
                at_anchor = prev
    if anchor is None:
        return VerifyResult(True, count, chain=chain)
    if anchor.count > count:
        missing = anchor.count - count
        return VerifyResult(False, count, count + 1,
                            f"truncated: {missing} records missing at the end (the Redis anchor "
                            f"counts {anchor.count}, the file {count})", chain)
    if at_anchor is None or not hmac.compare_digest(at_anchor, anchor.hash):
        return VerifyResult(False, count, anchor.count,
                            "differs from the Redis anchor (rewritten after it was mirrored)",
                            chain)
    return VerifyResult(True, count, chain=chain, head_checked=True,
                        unanchored=count - anchor.count)


def _check_line(raw: bytes, key: bytes, number: int, prev: str, chain: str) -> str:
    """Why line ``number`` is bad, or ``""``."""
    if not raw.endswith(b"\n"):
        return "truncated line (no newline)"
    try:
        obj = parse_line(raw)
    except DuplicateKey as exc:
        return f"not valid JSON ({exc})"
    except ValueError:
        return "not valid JSON"
    if not isinstance(obj, dict) or not isinstance(obj.get("hash"), str):
        return "no hash"
    if not is_canonical(raw, obj):
        return ("not the bytes that were MACed (re-serialised, the line differs: spacing, key "
                "order, escapes or a key added)")
    if not _mac_ok(obj, key):
        return "hash mismatch (line was changed, or written under another key)"
    if obj.get("prev") != prev or obj.get("n") != number:
        return "chain broken (a line before it was removed or moved)"
    if number > 1 and obj.get("chain") != chain:
        return "belongs to another chain (files were joined)"
    if not isinstance(obj.get("chain"), str):
        return "no chain id"
    return ""
