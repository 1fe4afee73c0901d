"""Pick the vision engine the settings ask for, falling back to OCR with a clear note.

A transformers model that cannot be found (not in the cache while offline, a wrong id) is
detected here by reading its config, without loading weights; the weights load lazily on the
first request, once per process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import EngineUnavailable
from bot.vision.base import Engine
from config.settings import Settings

_TRUE = {"1", "ON", "YES", "TRUE"}  # huggingface_hub's reading of HF_HUB_OFFLINE


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    note: str = ""  # a sentence for operators when a fallback was used; empty otherwise


def hub_offline(settings: Settings) -> bool:
    """True when nothing may be downloaded: ``MIRU_OFFLINE`` or ``HF_HUB_OFFLINE``."""
    return settings.offline or os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


def build_engine(settings: Settings, *, ocr_engine_factory: Callable[[], Engine]) -> EngineChoice:
    """The engine for ``settings.vlm_backend`` ("transformers", "openai" or "ocr")."""
    if settings.vlm_backend == "ocr":
        return EngineChoice(ocr_engine_factory())
    if settings.vlm_backend == "openai":
        from bot.vision.openai_engine import OpenAIEngine

        return EngineChoice(OpenAIEngine(
            settings.openai_base_url, settings.openai_api_key.get_secret_value(),
            settings.openai_model, timeout_s=settings.openai_timeout_s,
            retries=settings.openai_retries, max_new_tokens=settings.vlm_max_new_tokens,
        ))
    from bot.vision.transformers_engine import TransformersEngine

    offline = hub_offline(settings)
    engine = TransformersEngine(
        settings.vlm_model, revision=settings.vlm_revision, local_files_only=offline,
        max_new_tokens=settings.vlm_max_new_tokens, batch_window_ms=settings.vlm_batch_window_ms,
        max_batch=settings.vlm_max_batch, timeout_s=settings.vlm_timeout_s,
    )
    try:
        engine.preflight()
    except EngineUnavailable as exc:
        where = "in the local cache (offline mode)" if offline else "locally or on the Hub"
        note = (
            f"The vision model MIRU_VLM_MODEL={settings.vlm_model} "
            f"(revision {settings.vlm_revision}) could not be loaded {where}, so Miru answers "
            f"with OCR only. Fix the model id, or run `miru models pull {settings.vlm_model}` "
            f"on a machine with internet access, then restart. ({exc.detail})"
        )
        return EngineChoice(ocr_engine_factory(), note)
    return EngineChoice(engine)
