"""Quarantine: evidence is unreadable at rest, readable with the key, purged by its own clock
after the policy's retention. (Key loading: tests/unit/test_secrets.py.)"""

from __future__ import annotations

import io
import stat
import time

import pytest
from cryptography.fernet import Fernet
from PIL import Image as PILImage
from skimage import data as skdata

from bot.errors import QuarantineError
from bot.evidence.quarantine import PurgeResult, Quarantine
from config.policy import Retention

DAY = 24 * 3600


@pytest.fixture(scope="module")
def evidence() -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(skdata.coffee()).save(buf, format="PNG")
    return buf.getvalue()


def test_nothing_readable_at_rest(tmp_path, evidence):
    q = Quarantine(tmp_path / "q", Fernet.generate_key())
    path = q.put("req-1_0", evidence, {"action": "hold", "channel": "C-secret-channel"})
    for f in (tmp_path / "q").iterdir():
        raw = f.read_bytes()
        # a Fernet token is base64 text: four plain letters ("hold", "IHDR") turn up in it by
        # chance about once in a hundred runs; a quote or the PNG signature's byte never does
        assert evidence[:64] not in raw and b"\x89PNG" not in raw
        assert b"C-secret-channel" not in raw and b'"hold"' not in raw
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert path.exists()
    assert q.get("req-1_0") == evidence
    assert q.meta("req-1_0")["meta"] == {"action": "hold", "channel": "C-secret-channel"}


def test_wrong_key_or_tampered_file_is_refused(tmp_path, evidence):
    key = Fernet.generate_key()
    path = Quarantine(tmp_path, key).put("case", evidence, {})
    with pytest.raises(QuarantineError, match="another key"):
        Quarantine(tmp_path, Fernet.generate_key()).get("case")
    raw = bytearray(path.read_bytes())
    raw[40] = ord("A") if raw[40] != ord("A") else ord("B")
    path.write_bytes(bytes(raw))
    with pytest.raises(QuarantineError):
        Quarantine(tmp_path, key).get("case")


@pytest.mark.parametrize("case_id", ["../etc/passwd", "a/b", "", ".hidden", "x" * 300])
def test_bad_case_ids_are_refused(tmp_path, case_id):
    with pytest.raises(QuarantineError, match="bad case id"):
        Quarantine(tmp_path, Fernet.generate_key()).put(case_id, b"x", {})


def test_missing_case_and_bad_key(tmp_path):
    with pytest.raises(QuarantineError, match="no quarantined case"):
        Quarantine(tmp_path, Fernet.generate_key()).get("nope")
    with pytest.raises(QuarantineError, match="Fernet"):
        Quarantine(tmp_path, b"short")


def test_purge_uses_the_token_time_and_honours_legal_hold(tmp_path):
    q = Quarantine(tmp_path, Fernet.generate_key())
    q.put("normal", b"a", {})
    q.put("held", b"b", {}, legal_hold=True)
    q.put("later", b"c", {})
    q.set_legal_hold("later", True)
    q.set_legal_hold("later", False)
    day = 24 * 3600
    assert q.purge(30 * day, now=time.time() + 10 * day) == 0
    assert q.purge(30 * day, now=time.time() + 31 * day) == 2  # "normal" and "later"
    assert q.get("held") == b"b"
    with pytest.raises(QuarantineError):
        q.get("normal")
    assert q.purge(30 * day, now=time.time() + 366 * day) == 1
    assert list(tmp_path.iterdir()) == []


def test_purge_defaults_to_the_policy_retention(tmp_path):
    """Regression: the policy's quarantine_days/legal_hold_days were validated and ignored."""
    q = Quarantine(tmp_path, Fernet.generate_key(),
                   retention=Retention(quarantine_days=2, legal_hold_days=5))
    q.put("normal", b"a", {})
    q.put("held", b"b", {}, legal_hold=True)
    now = time.time()
    assert q.sweep(now=now + 1 * DAY) == PurgeResult(0, 2)
    assert q.sweep(now=now + 3 * DAY) == PurgeResult(1, 1)
    assert q.purge(now=now + 4 * DAY) == 0
    assert q.purge(now=now + 6 * DAY) == 1
    assert Quarantine(tmp_path, Fernet.generate_key()).retention == Retention()


def test_purge_leaves_unreadable_cases_and_names_them(tmp_path):
    q = Quarantine(tmp_path, Fernet.generate_key(), retention=Retention(quarantine_days=1))
    q.put("mine", b"a", {})
    Quarantine(tmp_path, Fernet.generate_key()).put("other-key", b"b", {})
    result = q.sweep(now=time.time() + 2 * DAY)
    assert result == PurgeResult(1, 0, ("other-key.bin",))
    assert (tmp_path / "other-key.bin").exists()
