"""Settings: environment variables with the prefix ``MIRU_`` (and a ``.env`` file), validated once.

Platform credentials keep the names the platforms document (``SLACK_BOT_TOKEN`` …) and are
``SecretStr`` so they never print. ``load_settings`` turns a validation failure into one readable
``SettingsError`` naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")
# ``MIRU_REDIS_URL`` schemes. ``redis+cluster://host:port`` (``rediss+cluster://`` with TLS) names
# one node of a Redis Cluster: Miru then uses redis-py's ``RedisCluster``, which finds the others.
REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def default_decoder_workers() -> int:
    """One decoder process per usable core but one (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


class SettingsError(ConfigError):
    """Settings could not be read; the message names each bad variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MIRU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Storage and audit. redis://host:port/db, or redis+cluster://host:port for a Redis Cluster
    redis_url: str = "redis://127.0.0.1:6379/0"
    data_dir: Path = Path("var")
    audit_path: Path = Path("var/audit.jsonl")
    # HMAC key for pseudonymous user ids (>= 32 chars); generated into data_dir when unset
    audit_secret: SecretStr = SecretStr("")
    # HMAC key of the audit hash chain, or a file holding it (not beside the log); when both are
    # unset it is derived from audit_secret (bot/evidence/secrets.py, docs/privacy.md)
    audit_key: SecretStr = SecretStr("")
    audit_key_file: Path | None = None
    quarantine_key: SecretStr | None = None  # Fernet key; generated into data_dir when unset
    quarantine_key_file: Path | None = None  # or a file holding it, on another volume
    policy_file: Path = DEFAULT_POLICY_FILE
    offline: bool = False

    # Ingest limits
    max_bytes: int = Field(20_000_000, gt=0)
    max_pixels: int = Field(40_000_000, gt=0)
    max_frames: int = Field(32, gt=0)
    max_files: int = Field(10, gt=0)  # files used per message; the rest are skipped with a note
    max_long_edge: int = Field(2048, ge=64)
    screen_size: int = Field(640, ge=128)
    decode_timeout_s: float = Field(10.0, gt=0)
    decode_memory_mb: int = Field(1024, ge=128)
    # Decoder processes; default one per core but one, so a slow file never stalls every upload
    decoder_workers: int = Field(default_factory=default_decoder_workers, ge=1)
    # Pixels one file may cost to screen, over every frame decoded (an animation decodes each
    # frame at full canvas size); checked from the headers before decoding
    max_total_pixels: int = Field(100_000_000, gt=0)
    # Baseline JPEGs up to this many pixels are screened in-process (draft decode), skipping the
    # decoder pool's round trip; 0 sends every file to the pool
    inline_decode_max_pixels: int = Field(12_000_000, ge=0)
    gate_timeout_s: float = Field(20.0, gt=0)

    # Engines
    vlm_backend: Literal["transformers", "openai", "ocr"] = "transformers"
    vlm_model: str = "HuggingFaceTB/SmolVLM-256M-Instruct"
    vlm_revision: str = "main"
    vlm_max_new_tokens: int = Field(256, gt=0)
    max_answer_chars: int = Field(12_000, ge=200)  # longer answers are cut with a note
    vlm_batch_window_ms: float = Field(20.0, ge=0)
    vlm_max_batch: int = Field(16, ge=1)
    vlm_timeout_s: float = Field(120.0, gt=0)
    # Caps on what one request puts in a prompt, in characters (bot/vision/prompts.py); 0: none
    max_question_chars: int = Field(2_000, ge=0)
    max_history_chars: int = Field(8_000, ge=0)
    max_ocr_chars: int = Field(4_000, ge=0)
    # onnxruntime intra-op threads per RapidOCR read (bot/vision/rapid.py): 1, one receipt per
    # worker core, is the measured best on small machines. Tesseract (a subprocess) follows the
    # environment's OMP_THREAD_LIMIT instead; set both alike (docs/models.md)
    ocr_threads: int = Field(1, ge=1, le=64)
    hub_probe_timeout_s: float = Field(2.0, gt=0)  # is the model hub reachable? (first use)
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: SecretStr = SecretStr("")
    openai_model: str = "Qwen/Qwen2.5-VL-3B-Instruct"
    openai_timeout_s: float = Field(60.0, gt=0)
    openai_retries: int = Field(3, ge=0)
    # Constrained JSON questions to the model (bot/vision/constrained.py): the age signal's
    # second stage and the receipts' second opinion; off, or with no model, the grammar and
    # the OCR reader decide alone. The time limit is capped: a safety question holds a request.
    vlm_checks: bool = True
    vlm_check_timeout_s: float = Field(15.0, gt=0, le=120)
    vlm_json_schema: bool = True  # send the answer's schema as response_format (openai backend)
    age_model: str = ""  # a transformers image-classification model id replaces the bundled one
    age_estimation: bool = True
    language: Literal["ja", "en", "auto"] = "auto"

    # A job that waits this long with no worker serving its platform (none has that platform's
    # credentials, or all are down) goes to the dead letters; its user is told by the next
    # worker that serves the platform. At most 12 hours (jobs are trimmed after a day).
    job_unserved_max_s: float = Field(600.0, gt=0, le=12 * 3600)

    # Thread memory (how long turns and images are kept is the policy file's [retention])
    max_turns: int = Field(20, gt=0)
    # The thread's images one request uses at most (the most recent; the answer names the rest
    # as left out): each is decided again at every use (issue 19: 100 of them stalled a worker)
    max_stored_images: int = Field(10, gt=0, le=100)
    max_thread_image_bytes: int = Field(20_000_000, gt=0)

    # Slack
    slack_bot_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("SLACK_BOT_TOKEN", "MIRU_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr = Field(
        SecretStr(""),
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "MIRU_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("SLACK_APP_TOKEN", "MIRU_SLACK_APP_TOKEN")
    )
    slack_api_url: str = "https://slack.com/api/"
    slack_file_hosts: tuple[str, ...] = ("files.slack.com",)
    # Workspaces (team ids) whose messages Miru answers; empty: all. JSON: ["T0123","T0456"]
    slack_allowed_teams: tuple[str, ...] = ()

    # Discord
    discord_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("DISCORD_TOKEN", "MIRU_DISCORD_TOKEN")
    )
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = ""  # empty: discord.py's default (wss://gateway.discord.gg/)
    discord_guild_id: str = ""  # commands synced to this guild (instantly); empty: globally
    discord_file_hosts: tuple[str, ...] = ("cdn.discordapp.com", "media.discordapp.net")
    discord_guild_ready_timeout_s: float = Field(2.0, ge=0)  # discord.py's wait for guilds
    discord_identify_delay_s: float = Field(5.0, ge=0)  # before each re-IDENTIFY

    # Every HTTP listener (serve-api, the Slack gateway's --http, worker --metrics-port): a request
    # head must arrive whole within the header timeout of connecting (or of the last answer on a
    # kept-alive connection), a body within the body timeout of its head (else 408); connections
    # past the cap get a 503 and are closed (docs/api.md, docs/deployment.md)
    http_header_timeout_s: float = Field(10.0, gt=0)
    http_body_timeout_s: float = Field(120.0, gt=0)
    http_max_connections: int = Field(256, gt=0)

    # Integration API and outgoing webhooks (docs/api.md)
    # A request body larger than this is refused (413) before it is read
    api_max_body_bytes: int = Field(40_000_000, gt=0)
    # Refused requests (401/403/429) are audited as one summary per window, not one line each;
    # past this many failed keys from one address in a window, a failed key gets 429
    api_refusal_window_s: float = Field(60.0, gt=0)
    api_max_auth_failures: int = Field(30, ge=1)
    # Where events (verdict.held, verdict.blocked, case.decided, receipt.added) are POSTed; empty:
    # no events. The signing secret (32+ characters) from the variable or a 0600 file.
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_secret_file: Path | None = None
    webhook_timeout_s: float = Field(10.0, gt=0)  # one POST
    webhook_backoff_s: float = Field(30.0, gt=0)  # before the 2nd try; doubles each time
    webhook_max_attempts: int = Field(6, ge=1)  # then the event goes to the dead list

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        url = urlsplit(value)
        schemes = REDIS_SCHEMES + REDIS_CLUSTER_SCHEMES
        if url.scheme not in schemes:
            raise ValueError(f"the scheme must be one of {', '.join(s + '://' for s in schemes)}"
                             f" (got {url.scheme + '://' if url.scheme else 'none'})")
        if url.scheme in REDIS_CLUSTER_SCHEMES:
            if not url.hostname:
                raise ValueError("a Redis Cluster URL names one node: redis+cluster://host:port")
            if url.path.strip("/") not in ("", "0"):
                raise ValueError("a Redis Cluster has database 0 only: leave the /db out")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and ``.env``), with keyword overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "MIRU_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(lines)) from None
