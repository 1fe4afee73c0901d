"""``miru doctor`` says which age-signal mode is active: the grammar alone, or the grammar with
a vision-language model's second stage."""

from __future__ import annotations

from pathlib import Path

from bot.health import CHECKS
from bot.health.stages import age_signal_mode
from config.settings import Settings


def _settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def test_the_doctor_runs_the_mode_check() -> None:
    assert age_signal_mode in CHECKS


def test_grammar_only_without_a_model_or_with_the_checks_off() -> None:
    ocr = age_signal_mode(_settings(vlm_backend="ocr"))
    assert ocr.state == "ok" and ocr.detail.startswith("grammar only")
    off = age_signal_mode(_settings(vlm_backend="openai", vlm_checks=False))
    assert off.detail.startswith("grammar only") and "MIRU_VLM_CHECKS" in off.detail


def test_grammar_and_model_where_one_is_configured(tmp_path: Path) -> None:
    served = age_signal_mode(_settings(vlm_backend="openai", openai_model="qwen-vl",
                                       vlm_check_timeout_s=7))
    assert served.detail.startswith("grammar + model (qwen-vl") and "7 s" in served.detail
    local = age_signal_mode(_settings(vlm_backend="transformers", vlm_model=str(tmp_path)))
    assert local.detail.startswith("grammar + model")


def test_a_model_that_cannot_load_means_grammar_only_for_now(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    missing = age_signal_mode(_settings(vlm_backend="transformers",
                                        vlm_model="nobody/not-cached-anywhere"))
    assert missing.state == "warn" and missing.detail.startswith("grammar only")
    assert missing.fix
