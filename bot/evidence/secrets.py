"""Where Miru's three secrets come from, and the parts built from them.

- **Pseudonym secret** (HMAC of user ids in the audit log): ``MIRU_AUDIT_SECRET`` (at least 32
  characters; ``change-me`` refused), else ``<data_dir>/audit.secret``, generated on first use.
- **Audit chain key** (HMAC of the audit hash chain): ``MIRU_AUDIT_KEY`` (at least 32 characters)
  or ``MIRU_AUDIT_KEY_FILE``; else derived from the pseudonym secret with HKDF and the label
  ``bot.evidence.audit.CHAIN_KEY_LABEL``. Keep it away from the log's volume.
- **Quarantine key** (Fernet; several, comma-separated, to rotate): ``MIRU_QUARANTINE_KEY`` or
  ``MIRU_QUARANTINE_KEY_FILE``; else
  ``<data_dir>/quarantine.key``, generated on first use (development only: it then sits on the
  same volume as the ciphertext, and ``miru doctor`` warns).

A secret file must be a regular file that only its owner can read or write (``chmod 600``).
Generated files are written 0600 through a temporary file and a hard link, so processes starting
at once agree on one value. Every failure is a ``ConfigError`` naming the variable or file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet

from bot.errors import ConfigError
from bot.evidence.audit import AuditLog, derive_chain_key
from bot.evidence.events import EventTap
from bot.evidence.quarantine import Quarantine, split_keys
from bot.evidence.vault import RedisQuarantine
from config.settings import Settings

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.evidence.quarantine import Quarantine
    from bot.evidence.vault import RedisQuarantine

MIN_SECRET_LEN = 32
AUDIT_SECRET_FILE = "audit.secret"
QUARANTINE_KEY_FILE = "quarantine.key"
_WEAK = {"change-me", "changeme", "secret", "test", "default"}


@dataclass(frozen=True)
class Secret:
    """A resolved secret and where it came from (``env``, ``file``, ``generated``, ``derived``)."""

    value: bytes
    source: str
    path: Path | None = None  # the file it was read from (file, generated; derived: its parent's)

    def describe(self, var: str) -> str:
        if self.source == "env":
            return f"from {var}"
        if self.source == "derived":
            where = f" ({self.path})" if self.path else ""
            return f"derived from the pseudonym secret{where}"
        return f"{'generated file' if self.source == 'generated' else 'file'} {self.path}"


def read_secret_file(path: Path, what: str) -> bytes:
    """The stripped contents of a private secret file; ``ConfigError`` (naming ``what``, the
    variable or role) when missing, not a regular file, open to others, or empty."""
    path = Path(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{what}: {path} is not a regular file")
        if st.st_mode & 0o077:
            raise ConfigError(f"{what}: {path} is open to other users (mode "
                              f"{stat.S_IMODE(st.st_mode):o}); run: chmod 600 {path}")
        data = path.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigError(f"{what}: {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc.strerror or exc}") from None
    if not data:
        raise ConfigError(f"{what}: {path} is empty")
    return data


def load_or_create(path: Path, make: Callable[[], bytes], what: str) -> bytes:
    """The secret in ``path``, created (0600, atomically) from ``make()`` when missing."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(make())
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, 0o600)
                with contextlib.suppress(FileExistsError):  # another process won: use its value
                    os.link(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot create {path}: {exc.strerror or exc}") from None
    return read_secret_file(path, what)


def _env(value: Any) -> bytes:
    raw = value.get_secret_value() if value is not None else ""
    return raw.strip().encode()


def path_setting(path: Path | None) -> Path | None:
    """A path setting, or ``None`` when unset (an empty variable reads as ".")."""
    return path if path is not None and str(path) not in ("", ".") else None


def pseudonym_secret(settings: Settings, *, create: bool = True) -> Secret:
    """``MIRU_AUDIT_SECRET`` (checked), else the generated ``<data_dir>/audit.secret``."""
    value = _env(settings.audit_secret)
    if value:
        if value.decode().lower() in _WEAK or len(value) < MIN_SECRET_LEN:
            raise ConfigError(f"MIRU_AUDIT_SECRET must be a random value of at least "
                              f"{MIN_SECRET_LEN} characters (e.g. python -c \"import secrets; "
                              f"print(secrets.token_hex(32))\"), or unset to generate one")
        return Secret(value, "env")
    path = settings.data_dir / AUDIT_SECRET_FILE
    what = "audit secret (or set MIRU_AUDIT_SECRET)"
    if create:
        return Secret(load_or_create(path, lambda: os.urandom(32).hex().encode(), what),
                      "generated", path)
    return Secret(_long_enough(read_secret_file(path, what), str(path)), "generated", path)


def chain_key(settings: Settings, pseudonym: Secret | None = None) -> Secret:
    """``MIRU_AUDIT_KEY`` or ``MIRU_AUDIT_KEY_FILE``, else derived from ``pseudonym`` (default:
    the existing pseudonym secret; none is generated)."""
    value, path = _env(settings.audit_key), path_setting(settings.audit_key_file)
    if value and path:
        raise ConfigError("set MIRU_AUDIT_KEY or MIRU_AUDIT_KEY_FILE, not both")
    if value:
        return Secret(_long_enough(value, "MIRU_AUDIT_KEY"), "env")
    if path:
        data = read_secret_file(path, "MIRU_AUDIT_KEY_FILE")
        return Secret(_long_enough(data, "MIRU_AUDIT_KEY_FILE"), "file", path)
    pseudonym = pseudonym or pseudonym_secret(settings, create=False)
    return Secret(derive_chain_key(pseudonym.value), "derived", pseudonym.path)


def quarantine_key(settings: Settings, *, create: bool = True) -> Secret:
    """``MIRU_QUARANTINE_KEY`` or ``MIRU_QUARANTINE_KEY_FILE`` (a Fernet key), else the generated
    ``<data_dir>/quarantine.key``."""
    value, path = _env(settings.quarantine_key), path_setting(settings.quarantine_key_file)
    if value and path:
        raise ConfigError("set MIRU_QUARANTINE_KEY or MIRU_QUARANTINE_KEY_FILE, not both")
    if value:
        return Secret(_fernet(value, "MIRU_QUARANTINE_KEY"), "env")
    if path:
        return Secret(_fernet(read_secret_file(path, "MIRU_QUARANTINE_KEY_FILE"),
                              f"MIRU_QUARANTINE_KEY_FILE ({path})"), "file", path)
    path = settings.data_dir / QUARANTINE_KEY_FILE
    what = "quarantine key (or set MIRU_QUARANTINE_KEY_FILE)"
    data = (load_or_create(path, Fernet.generate_key, what) if create
            else read_secret_file(path, what))
    return Secret(_fernet(data, str(path)), "generated", path)


def _long_enough(value: bytes, what: str) -> bytes:
    if len(value) < MIN_SECRET_LEN:
        raise ConfigError(f"{what} must hold at least {MIN_SECRET_LEN} characters")
    return value


def _fernet(key: bytes, what: str) -> bytes:
    """``key``: one Fernet key, or several separated by commas (rotation: the first encrypts)."""
    try:
        found = split_keys(key)
        if not found:
            raise ValueError(key)
        for one in found:
            Fernet(one)
    except ValueError:
        raise ConfigError(f"{what} is not a Fernet key (make one with: python -c \"from "
                          "cryptography.fernet import Fernet; "
                          "print(Fernet.generate_key().decode())\")") from None
    return key


def open_audit_log(settings: Settings, redis: Any = None) -> AuditLog:
    """The audit log with its resolved pseudonym secret and chain key (``build_app`` and any
    command that writes audit records). With Redis and ``MIRU_WEBHOOK_URL``, held and blocked
    verdicts, case decisions and receipts added also become webhook events (its one tap)."""
    secret = pseudonym_secret(settings)
    log = AuditLog(settings.audit_path, secret.value, redis,
                   chain_key=chain_key(settings, secret).value)
    if redis is not None and webhook_secret(settings) is not None:
        log.add_tap(EventTap(redis))
    return log


def webhook_secret(settings: Settings) -> bytes | None:
    """The webhooks' signing secret (``MIRU_WEBHOOK_SECRET`` or ``MIRU_WEBHOOK_SECRET_FILE``,
    at least 32 characters); ``None`` when ``MIRU_WEBHOOK_URL`` is unset (no webhooks)."""
    url = settings.webhook_url.strip()
    if not url:
        return None
    if not url.startswith(("https://", "http://")) or len(url.split("://", 1)[1]) == 0:
        raise ConfigError(f"MIRU_WEBHOOK_URL must be an http(s) URL (got {url[:80]!r})")
    value, path = _env(settings.webhook_secret), path_setting(settings.webhook_secret_file)
    if value and path:
        raise ConfigError("set MIRU_WEBHOOK_SECRET or MIRU_WEBHOOK_SECRET_FILE, not both")
    if path:
        value = read_secret_file(path, "MIRU_WEBHOOK_SECRET_FILE")
    if not value:
        raise ConfigError("MIRU_WEBHOOK_URL is set: set MIRU_WEBHOOK_SECRET or "
                          "MIRU_WEBHOOK_SECRET_FILE too (the receiver checks signatures with it)")
    return _long_enough(value, "MIRU_WEBHOOK_SECRET_FILE" if path else "MIRU_WEBHOOK_SECRET")


def open_quarantine(settings: Settings, retention: Any = None) -> Quarantine:
    """The quarantine with its resolved key and the policy's ``[retention]``."""
    return Quarantine(settings.data_dir / "quarantine", quarantine_key(settings).value,
                      retention=retention)


def open_shared_quarantine(settings: Settings, redis: Any, retention: Any = None
                           ) -> RedisQuarantine:
    """The shared (Redis) quarantine with the resolved key(s) and the policy's retention."""
    return RedisQuarantine(redis, quarantine_key(settings).value, retention=retention)
