"""Pick the vision engine the settings ask for, falling back to OCR with one clear note.

A transformers model is looked for in the local Hugging Face cache first. When it is not there,
the hub is asked only if a quick probe (``MIRU_HUB_PROBE_TIMEOUT_S``, 2 s) reaches it: a machine
without internet gets the OCR engine at once and one line saying why, instead of half a minute of
retries and a wall of warnings. A model that can be found is checked by reading its config,
without loading weights; the weights load lazily on the first request, once per process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import strings
from bot.errors import EngineUnavailable
from bot.vision.base import Engine
from bot.vision.openai_engine import OpenAIEngine
from bot.vision.prompts import PromptLimits
from config.settings import Settings

_TRUE = {"1", "ON", "YES", "TRUE"}  # huggingface_hub's reading of HF_HUB_OFFLINE
_HUB_LOGGERS = ("transformers", "huggingface_hub")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    note: str = ""  # one line for operators when a fallback was used; empty otherwise


@dataclass(frozen=True)
class ModelSource:
    """Where a transformers model would come from. ``problem`` is empty when it can be used;
    otherwise ``problem`` and ``fix`` are what operators read: the log's one line (``note``)
    and ``miru doctor`` (detail and fix) are made of the same two, so they always agree.
    ``offline``: offline mode decided it (the doctor then warns instead of failing)."""

    local_files_only: bool
    problem: str = ""
    fix: str = ""
    offline: bool = False

    @property
    def note(self) -> str:
        return f"{self.problem}; {self.fix}" if self.problem else ""


def _fix(model: str, *, offline_hint: bool = False, model_id_hint: bool = False) -> str:
    fix = strings.t("operator.fix_pull", "en", model=model)
    if model_id_hint:
        fix = strings.t("operator.fix_model_id", "en") + fix
    return fix + strings.t("operator.fix_offline", "en") if offline_hint else fix


def hub_offline(settings: Settings) -> bool:
    """True when nothing may be downloaded: ``MIRU_OFFLINE`` or ``HF_HUB_OFFLINE``."""
    return settings.offline or os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


def hub_endpoint() -> str:
    """The hub's base URL (``HF_ENDPOINT``, default https://huggingface.co)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def model_cached(model_id: str, revision: str) -> bool:
    """True when ``model_id`` is a local folder or its config is in the Hugging Face cache."""
    if Path(model_id).is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(model_id, "config.json", revision=revision)
    except ValueError:  # HFValidationError: not a valid repository id
        return False
    return isinstance(found, str) and os.path.exists(found)


def hub_reachable(timeout_s: float) -> bool:
    """True when the hub answers an HTTP request (any status) within ``timeout_s``."""
    import httpx

    try:
        httpx.head(hub_endpoint(), timeout=timeout_s)
    except httpx.HTTPError:
        return False
    return True


def model_source(settings: Settings) -> ModelSource:
    """Decide, without calling the hub unless a probe reaches it, where the model loads from.

    Cached (or a local folder): from there, and also from the hub when it is reachable and
    offline mode is off (so a moved branch is followed). Not cached: from the hub when it is
    reachable; otherwise a note (offline mode on, or the hub cannot be reached).
    """
    model, revision = settings.vlm_model, settings.vlm_revision
    offline = hub_offline(settings)
    if Path(model).is_dir():
        return ModelSource(local_files_only=offline)
    cached = model_cached(model, revision)
    if offline:
        if cached:
            return ModelSource(True)
        return ModelSource(True, strings.t("operator.model_not_cached", "en", model=model),
                           _fix(model), offline=True)
    if hub_reachable(settings.hub_probe_timeout_s):
        return ModelSource(False)
    if cached:
        return ModelSource(True)
    return ModelSource(True, strings.t("operator.hub_unreachable", "en", model=model,
                                       endpoint=hub_endpoint()), _fix(model, offline_hint=True))


@contextlib.contextmanager
def quiet_hub() -> Iterator[None]:
    """transformers' and huggingface_hub's warnings silenced (the caller says what matters)."""
    loggers = [logging.getLogger(name) for name in _HUB_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def build_engine(settings: Settings, *, ocr_engine_factory: Callable[[], Engine]) -> EngineChoice:
    """The engine for ``settings.vlm_backend`` ("transformers", "openai" or "ocr")."""
    limits = PromptLimits.from_settings(settings)
    if settings.vlm_backend == "ocr":
        return EngineChoice(ocr_engine_factory())
    if settings.vlm_backend == "openai":
        return EngineChoice(OpenAIEngine(
            settings.openai_base_url, settings.openai_api_key.get_secret_value(),
            settings.openai_model, timeout_s=settings.openai_timeout_s,
            retries=settings.openai_retries, max_new_tokens=settings.vlm_max_new_tokens,
            limits=limits, json_schema=settings.vlm_json_schema,
        ))
    source = model_source(settings)
    if source.problem:
        return EngineChoice(ocr_engine_factory(), source.note)
    from bot.vision.transformers_engine import TransformersEngine  # torch: only when used

    engine = TransformersEngine(
        settings.vlm_model, revision=settings.vlm_revision,
        local_files_only=source.local_files_only, max_new_tokens=settings.vlm_max_new_tokens,
        batch_window_ms=settings.vlm_batch_window_ms, max_batch=settings.vlm_max_batch,
        timeout_s=settings.vlm_timeout_s, limits=limits,
    )
    try:
        with quiet_hub():
            engine.preflight()
    except EngineUnavailable as exc:
        log.debug("vision model unavailable: %s", exc.detail)
        detail = " ".join(str(exc.detail).split())
        failed = ModelSource(True, strings.t(
            "operator.model_failed", "en", model=settings.vlm_model,
            revision=settings.vlm_revision, detail=detail[:160]),
            _fix(settings.vlm_model, model_id_hint=True))
        return EngineChoice(ocr_engine_factory(), failed.note)
    return EngineChoice(engine)
