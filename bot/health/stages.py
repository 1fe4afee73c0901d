"""Which age-signal mode is active (``miru doctor``, an admin's home view): the grammar alone,
or the grammar with a vision-language model's second stage (``bot.core.age_stage``), which also
gives receipts a second opinion (``bot.receipts.opinion``). Decided from the settings the way
``bot.app`` decides it; whether the model answers is the vision model check's line."""

from __future__ import annotations

from bot.models import SetupCheck as Check
from bot.vision.factory import model_source
from config.settings import Settings

NAME = "age signals"


def age_signal_mode(settings: Settings) -> Check:
    backend = settings.vlm_backend
    if not settings.vlm_checks:
        return Check(NAME, True, "grammar only (MIRU_VLM_CHECKS=false)")
    if backend == "ocr":
        return Check(NAME, True, "grammar only (no vision model: MIRU_VLM_BACKEND=ocr)")
    if backend == "openai":
        model = settings.openai_model
    else:
        source = model_source(settings)
        if source.problem:
            return Check(NAME, True, "grammar only until the vision model can be loaded",
                         source.fix, warn=True)
        model = settings.vlm_model
    return Check(NAME, True, f"grammar + model ({model}; asked where a minor signal would "
                 f"decide, {settings.vlm_check_timeout_s:g} s limit, no answer holds)")
