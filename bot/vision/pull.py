"""``miru models pull [MODEL]``: fetch a vision model into the Hugging Face cache ahead of time.

huggingface_hub shows a progress bar per file. Only what transformers loads is fetched (configs,
tokenizer, chat template, safetensors weights), not ONNX or GGUF exports some repositories carry.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import EngineUnavailable

ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken"]


def pull(model_id: str, revision: str = "main") -> Path:
    """Download ``model_id`` at ``revision`` (or find it cached) and return its local folder.

    Raises ``EngineUnavailable`` naming the model when it cannot be fetched (no network, offline
    mode, a wrong id or revision, a gated repository without a token).
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            model_id, revision=revision, allow_patterns=ALLOW_PATTERNS, library_name="miru"
        )
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
        raise EngineUnavailable(f"could not fetch {model_id}@{revision}: {exc}") from exc
    return Path(folder)
