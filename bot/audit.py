"""The tamper-evident audit log: one JSON line per decision, hash-chained, fsynced.

Each line holds ``prev`` (the previous line's ``hash``; ``GENESIS`` for the first line) and
``hash`` = SHA-256 of the line's canonical JSON without ``hash``. Changing, deleting or
reordering a line, or cutting the file mid-line, breaks the chain at that line, which ``verify``
names. Several processes may append to one file: each write holds an exclusive ``flock`` while
it reads the last hash and appends. When a Redis client is given, each line is mirrored to a
capped stream; a Redis failure is logged and never costs the file record.

The chain is hand-written: it is a few lines over ``hashlib``, and the append-only JSON-lines
libraries found do not chain hashes under a cross-process lock.
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import keys
from bot.codec import audit_to_dict
from bot.errors import AuditError, CodecError
from bot.models import AuditRecord

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_TAIL_CHUNK = 64 * 1024
_SECRET_KEY = re.compile(r"token|secret|password|authorization|cookie", re.IGNORECASE)
_TOKEN_VALUE = re.compile(r"\bxox[abposr]-|\bxapp-|\bBearer\s", re.IGNORECASE)


def canonical(obj: dict[str, Any]) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def line_hash(obj: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj`` without its ``hash`` key."""
    return hashlib.sha256(canonical({k: v for k, v in obj.items() if k != "hash"})).hexdigest()


class AuditLog:
    """Appends ``AuditRecord``s to ``path`` (and mirrors them to Redis when given)."""

    def __init__(self, path: Path, secret: bytes, redis: Redis | None = None, *,
                 stream: str = keys.AUDIT_STREAM,
                 stream_maxlen: int = keys.AUDIT_STREAM_MAXLEN) -> None:
        if not secret:
            raise AuditError("the audit secret (MIRU_AUDIT_SECRET) must not be empty")
        self.path = Path(path)
        self._secret = secret
        self._redis = redis
        self._stream = stream
        self._stream_maxlen = stream_maxlen

    def pseudonym(self, platform: str, user: str) -> str:
        """A stable pseudonymous id: HMAC-SHA256 of ``platform:user`` under the secret (32 hex)."""
        mac = hmac.new(self._secret, f"{platform}:{user}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    async def write(self, record: AuditRecord) -> dict[str, Any]:
        """Append one record and return the JSON object written (with ``prev`` and ``hash``).

        Raises ``AuditError`` when the record holds bytes or a credential, or the file cannot
        be written (or ends in a torn line: run ``verify`` and rotate the file).
        """
        _refuse_secrets(record.detail, "detail")
        try:
            body = audit_to_dict(record)
        except CodecError as exc:
            raise AuditError(f"audit record cannot be encoded: {exc.detail}") from None
        try:
            obj = await asyncio.to_thread(self._append, body)
        except OSError as exc:
            raise AuditError(f"cannot write the audit log {self.path}: {exc}") from exc
        if self._redis is not None:
            await self._mirror(obj)
        return obj

    def _append(self, body: dict[str, Any]) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            obj = {**body, "prev": _last_hash(fd)}
            obj["hash"] = line_hash(obj)
            line = canonical(obj) + b"\n"
            written = os.write(fd, line)
            if written != len(line):
                raise AuditError(f"short write to the audit log ({written}/{len(line)} bytes)")
            os.fsync(fd)
            return obj
        finally:
            os.close(fd)  # closing releases the flock

    async def _mirror(self, obj: dict[str, Any]) -> None:
        assert self._redis is not None
        try:
            await self._redis.xadd(self._stream, {"line": canonical(obj)},
                                   maxlen=self._stream_maxlen, approximate=True)
        except Exception as exc:  # any Redis or socket failure: the file record stands
            log.warning("audit mirror to Redis failed (file record kept): %s",
                        type(exc).__name__)


def _last_hash(fd: int) -> str:
    """The ``hash`` of the file's last line, or ``GENESIS`` for an empty file."""
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS
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
    last = tail[:-1].rsplit(b"\n", 1)[-1]
    try:
        prev = json.loads(last)["hash"]
    except (ValueError, KeyError, TypeError):
        raise AuditError("the audit log's last line is unreadable; verify it") from None
    if not isinstance(prev, str):
        raise AuditError("the audit log's last line has no hash; verify it")
    return prev


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
class VerifyResult:
    ok: bool
    count: int  # lines that verified
    bad_line: int | None = None  # 1-based number of the first bad line
    reason: str = ""


def verify(path: Path) -> VerifyResult:
    """Check the whole chain; name the first line that was changed, removed, moved or torn."""
    path = Path(path)
    if not path.exists():
        return VerifyResult(False, 0, None, "file not found")
    prev = GENESIS
    count = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.endswith(b"\n"):
                return VerifyResult(False, count, number, "truncated line (no newline)")
            try:
                obj = json.loads(raw)
            except ValueError:
                return VerifyResult(False, count, number, "not valid JSON")
            if not isinstance(obj, dict) or not isinstance(obj.get("hash"), str):
                return VerifyResult(False, count, number, "no hash")
            if obj.get("prev") != prev:
                return VerifyResult(False, count, number,
                                    "chain broken (a line before it was removed or moved)")
            if line_hash(obj) != obj["hash"]:
                return VerifyResult(False, count, number, "hash mismatch (line was changed)")
            prev = obj["hash"]
            count += 1
    return VerifyResult(True, count)
