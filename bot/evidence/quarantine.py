"""Encrypted evidence store for held and preserved uploads (cryptography's Fernet).

Each case is two files in ``dir``: ``<case>.bin`` (the bytes) and ``<case>.meta`` (JSON), both
Fernet tokens, written 0600 through a temporary file and an atomic rename. Nothing is readable
at rest without the key. A Fernet token carries its (authenticated) creation time, which
``purge`` uses: a copied or touched file cannot look younger than it is. How long cases are kept
is the policy file's ``[retention]`` (``quarantine_days``, ``legal_hold_days``); the keys come
from ``bot.evidence.secrets.quarantine_key``: one Fernet key, or several separated by commas
(a ``MultiFernet``: the first encrypts, all decrypt, so keys can be rotated). With Redis the
shared quarantine (``bot.evidence.vault``) holds held and preserved evidence; this folder is the
command line's store without Redis and the fallback when Redis is away.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import QuarantineError
from config.policy import Retention

log = logging.getLogger(__name__)

DAY_S = 24 * 3600
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def split_keys(raw: bytes) -> list[bytes]:
    """Fernet keys separated by commas, spaces or newlines (the first one encrypts)."""
    return [k for k in raw.replace(b",", b" ").split() if k]


def multi_fernet(raw: bytes | list[bytes]) -> MultiFernet:
    """A ``MultiFernet`` from one key or several; ``QuarantineError`` when one is not a key."""
    found = split_keys(raw) if isinstance(raw, bytes) else list(raw)
    if not found:
        raise QuarantineError("no quarantine key given")
    try:
        return MultiFernet([Fernet(k) for k in found])
    except ValueError:
        raise QuarantineError("a quarantine key is not a valid Fernet key") from None


@dataclass(frozen=True)
class PurgeResult:
    """What one purge did: cases deleted, cases kept, files it could not read (left alone)."""

    removed: int
    kept: int
    skipped: tuple[str, ...] = ()


class Quarantine:
    """Evidence bytes and metadata, encrypted at rest, purged after their retention."""

    def __init__(self, dir: Path, key: bytes, *, retention: Retention | None = None) -> None:
        self.retention = retention or Retention()
        self._fernet = multi_fernet(key)
        self.dir = Path(dir)

    def _paths(self, case_id: str) -> tuple[Path, Path]:
        if not _CASE_ID.match(case_id):
            raise QuarantineError(f"bad case id {case_id!r} (letters, digits, . _ - only)")
        return self.dir / f"{case_id}.bin", self.dir / f"{case_id}.meta"

    def put(self, case_id: str, data: bytes, meta: dict[str, Any] | None = None, *,
            legal_hold: bool = False) -> Path:
        """Encrypt and store ``data`` with ``meta`` (JSON-able); returns the data file's path."""
        data_path, meta_path = self._paths(case_id)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = {"meta": meta or {}, "legal_hold": legal_hold, "size": len(data)}
        try:
            meta_json = json.dumps(body, ensure_ascii=False).encode()
        except (TypeError, ValueError) as exc:
            raise QuarantineError(f"case metadata is not JSON: {exc}") from None
        _write_private(data_path, self._fernet.encrypt(data))
        _write_private(meta_path, self._fernet.encrypt(meta_json))
        return data_path

    def get(self, case_id: str) -> bytes:
        """The decrypted evidence; ``QuarantineError`` if missing, altered or under another key."""
        return self._read(self._paths(case_id)[0])

    def meta(self, case_id: str) -> dict[str, Any]:
        """The case's metadata: ``{"meta": ..., "legal_hold": bool, "size": int}``."""
        return json.loads(self._read(self._paths(case_id)[1]))

    def set_legal_hold(self, case_id: str, on: bool = True) -> None:
        """Keep (or release) a case for the legal-hold retention instead of the normal one."""
        body = self.meta(case_id)
        body["legal_hold"] = on
        _write_private(self._paths(case_id)[1],
                       self._fernet.encrypt(json.dumps(body, ensure_ascii=False).encode()))

    def _read(self, path: Path) -> bytes:
        try:
            token = path.read_bytes()
        except FileNotFoundError:
            raise QuarantineError(f"no quarantined case at {path.name}") from None
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise QuarantineError(f"{path.name} was altered or uses another key") from None

    def purge(self, older_than: float | None = None, *,
              legal_hold_older_than: float | None = None, now: float | None = None) -> int:
        """Delete expired cases (see ``sweep``); returns how many were deleted."""
        return self.sweep(older_than, legal_hold_older_than=legal_hold_older_than, now=now).removed

    def sweep(self, older_than: float | None = None, *,
              legal_hold_older_than: float | None = None,
              now: float | None = None) -> PurgeResult:
        """Delete cases older than ``older_than`` seconds (legal hold: ``legal_hold_older_than``;
        both default to the policy's retention). Files that do not decrypt are left for an
        operator and named in ``skipped``."""
        if older_than is None:
            older_than = self.retention.quarantine_days * DAY_S
        if legal_hold_older_than is None:
            legal_hold_older_than = self.retention.legal_hold_days * DAY_S
        if not self.dir.exists():
            return PurgeResult(0, 0)
        now = time.time() if now is None else now
        removed, kept, skipped = 0, 0, []
        for data_path in sorted(self.dir.glob("*.bin")):
            meta_path = data_path.with_suffix(".meta")
            try:
                token = data_path.read_bytes()
                created = self._fernet.extract_timestamp(token)
                held = bool(json.loads(self._read(meta_path)).get("legal_hold"))
            except (InvalidToken, QuarantineError, OSError, ValueError) as exc:
                log.warning("quarantine purge skipped %s: %s", data_path.name, exc)
                skipped.append(data_path.name)
                continue
            if now - created > (legal_hold_older_than if held else older_than):
                data_path.unlink(missing_ok=True)
                meta_path.unlink(missing_ok=True)
                removed += 1
            else:
                kept += 1
        return PurgeResult(removed, kept, tuple(skipped))
