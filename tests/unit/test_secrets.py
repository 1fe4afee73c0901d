"""Where the pseudonym secret, the audit chain key and the quarantine key come from, and every
bad way to give them: each one a ConfigError naming what to fix, never a traceback."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet

from bot.errors import ConfigError
from bot.evidence.audit import derive_chain_key, verify
from bot.evidence.secrets import (
    AUDIT_SECRET_FILE,
    QUARANTINE_KEY_FILE,
    chain_key,
    open_audit_log,
    open_quarantine,
    pseudonym_secret,
    quarantine_key,
)
from bot.health import local as checks
from bot.models import AuditRecord
from config.policy import Retention

LONG = "0123456789abcdef0123456789abcdef-long-enough"


def _private(path, data: bytes, mode: int = 0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


# --- the pseudonym secret --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["change-me", "test-secret", "x" * 31])
def test_default_or_short_audit_secret_is_refused(make_settings, value):
    """Regression: the default `change-me` was accepted, so pseudonyms could be recomputed."""
    with pytest.raises(ConfigError, match=r"MIRU_AUDIT_SECRET .*at least 32"):
        pseudonym_secret(make_settings(audit_secret=value))


def test_explicit_audit_secret_is_used(make_settings):
    secret = pseudonym_secret(make_settings(audit_secret=LONG))
    assert (secret.value, secret.source) == (LONG.encode(), "env")


def test_unset_audit_secret_is_generated_once_private(make_settings):
    settings = make_settings(audit_secret="")
    with ThreadPoolExecutor(4) as pool:
        values = set(pool.map(lambda _: pseudonym_secret(settings).value, range(8)))
    assert len(values) == 1 and len(values.pop()) == 64
    path = settings.data_dir / AUDIT_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in settings.data_dir.iterdir()) == [AUDIT_SECRET_FILE]
    assert pseudonym_secret(settings, create=False).source == "generated"


def test_missing_secret_is_not_created_when_only_reading(make_settings):
    settings = make_settings(audit_secret="")
    with pytest.raises(ConfigError, match="does not exist"):
        pseudonym_secret(settings, create=False)
    assert not (settings.data_dir / AUDIT_SECRET_FILE).exists()


def test_generated_secret_open_to_others_is_refused(make_settings):
    settings = make_settings(audit_secret="")
    _private(settings.data_dir / AUDIT_SECRET_FILE, b"a" * 64, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        pseudonym_secret(settings)


def test_unwritable_data_dir_is_a_config_error(make_settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot create"):
        pseudonym_secret(make_settings(audit_secret="", data_dir=blocker / "data"))
    with pytest.raises(ConfigError, match="cannot create"):
        quarantine_key(make_settings(data_dir=blocker / "data"))


# --- the audit chain key ---------------------------------------------------------------------

def test_chain_key_is_derived_with_a_label_unless_given(make_settings, tmp_path):
    settings = make_settings(audit_secret=LONG)
    derived = chain_key(settings)
    assert derived.source == "derived" and derived.value == derive_chain_key(LONG.encode())
    assert derived.value != LONG.encode()
    assert chain_key(make_settings(audit_key="k" * 32)).value == b"k" * 32
    key_file = _private(tmp_path / "elsewhere" / "audit.key", b"f" * 40 + b"\n")
    from_file = chain_key(make_settings(audit_key_file=key_file))
    assert (from_file.value, from_file.source, from_file.path) == (b"f" * 40, "file", key_file)


def test_bad_chain_keys_are_refused(make_settings, tmp_path):
    with pytest.raises(ConfigError, match="MIRU_AUDIT_KEY must hold at least 32"):
        chain_key(make_settings(audit_key="short"))
    with pytest.raises(ConfigError, match=r"MIRU_AUDIT_KEY_FILE: .* does not exist"):
        chain_key(make_settings(audit_key_file=tmp_path / "missing"))
    loose = _private(tmp_path / "loose.key", b"f" * 40, 0o640)
    with pytest.raises(ConfigError, match=r"MIRU_AUDIT_KEY_FILE: .*chmod 600"):
        chain_key(make_settings(audit_key_file=loose))
    with pytest.raises(ConfigError, match="not both"):
        chain_key(make_settings(audit_key="k" * 32, audit_key_file=loose))
    with pytest.raises(ConfigError, match="not a regular file"):
        chain_key(make_settings(audit_key_file=tmp_path))


async def test_open_audit_log_chains_under_the_resolved_key(make_settings, tmp_path):
    key_file = _private(tmp_path / "keys" / "audit.key", b"z" * 48)
    settings = make_settings(audit_key_file=key_file)
    log = open_audit_log(settings)
    await log.write(AuditRecord(kind="verdict", request_id="r1", ts=1.0))
    assert verify(settings.audit_path, b"z" * 48).ok
    assert not verify(settings.audit_path, derive_chain_key(LONG.encode())).ok


# --- the quarantine key ----------------------------------------------------------------------

def test_quarantine_key_from_env_file_or_generated(make_settings, tmp_path):
    key = Fernet.generate_key()
    assert quarantine_key(make_settings(quarantine_key=key.decode())).value == key
    key_file = _private(tmp_path / "elsewhere" / "q.key", key + b"\n")
    assert quarantine_key(make_settings(quarantine_key_file=key_file)).value == key
    settings = make_settings()
    with ThreadPoolExecutor(4) as pool:
        keys = set(pool.map(lambda _: quarantine_key(settings).value, range(8)))
    assert len(keys) == 1
    assert stat.S_IMODE((settings.data_dir / QUARANTINE_KEY_FILE).stat().st_mode) == 0o600


def test_bad_quarantine_keys_are_refused(make_settings, tmp_path):
    with pytest.raises(ConfigError, match="MIRU_QUARANTINE_KEY is not a Fernet key"):
        quarantine_key(make_settings(quarantine_key="not-a-key"))
    garbage = _private(tmp_path / "q.key", b"not a fernet key")
    with pytest.raises(ConfigError, match=r"MIRU_QUARANTINE_KEY_FILE .* is not a Fernet key"):
        quarantine_key(make_settings(quarantine_key_file=garbage))
    with pytest.raises(ConfigError, match=r"MIRU_QUARANTINE_KEY_FILE: .* does not exist"):
        quarantine_key(make_settings(quarantine_key_file=tmp_path / "missing.key"))
    loose = _private(tmp_path / "loose.key", Fernet.generate_key(), 0o604)
    with pytest.raises(ConfigError, match="chmod 600"):
        quarantine_key(make_settings(quarantine_key_file=loose))
    with pytest.raises(ConfigError, match="not both"):
        quarantine_key(make_settings(quarantine_key=Fernet.generate_key().decode(),
                                     quarantine_key_file=loose))
    settings = make_settings()
    _private(settings.data_dir / QUARANTINE_KEY_FILE, b"garbage")
    with pytest.raises(ConfigError, match="is not a Fernet key"):
        quarantine_key(settings)


def test_open_quarantine_uses_the_policy_retention(make_settings):
    q = open_quarantine(make_settings(), Retention(quarantine_days=3, legal_hold_days=9))
    assert (q.retention.quarantine_days, q.retention.legal_hold_days) == (3, 9)


# --- miru doctor -----------------------------------------------------------------------------

def test_doctor_warns_about_keys_beside_the_data(make_settings, tmp_path):
    settings = make_settings(audit_secret="")
    q, chain = checks._quarantine_key(settings), checks._audit_chain_key(settings)
    assert q.ok and q.warn and "beside the ciphertext" in q.detail
    assert chain.ok and chain.warn
    quarantine_key(settings)
    pseudonym_secret(settings)
    assert checks._quarantine_key(settings).warn  # generated: always on the evidence's volume
    assert checks._audit_chain_key(settings).warn
    good = make_settings(quarantine_key=Fernet.generate_key().decode(), audit_key="k" * 32)
    assert not checks._quarantine_key(good).warn and checks._quarantine_key(good).ok
    assert not checks._audit_chain_key(good).warn and checks._audit_chain_key(good).ok


def test_doctor_fails_bad_secrets_with_a_fix(make_settings, tmp_path):
    check = checks._audit_secret(make_settings(audit_secret="change-me"))
    assert not check.ok and "MIRU_AUDIT_SECRET" in check.detail and check.fix
    check = checks._quarantine_key(make_settings(quarantine_key_file=tmp_path / "nope"))
    assert not check.ok and "does not exist" in check.detail
    assert checks._audit_secret(make_settings(audit_secret=LONG)).ok
