"""A real ``App`` on in-memory stores for the core gateway's unit tests, with a recording
platform and a job queue that can be taken down (both from ``tests/fakes.py``). No Redis, no
safety models, no engine: the gateway never runs the pipeline, it only enqueues (the
pipeline's consent, forget and language methods used here are real and run on the memory
stores)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import assemble
from bot.core.gateway import Gateway
from bot.errors import StoreUnavailable
from bot.evidence.audit import AuditLog
from bot.models import IncomingMessage, SetupCheck
from bot.runtime import App
from bot.services import Services
from bot.stores.memory import MemoryStateStore, MemoryThreadMemory
from config.policy import load_policy
from config.settings import load_settings
from tests.fakes import FakePlatform, FakeQueue

SECRET = b"gateway-test-secret-0123456789abcdef"


class BrokenState(MemoryStateStore):
    """A state store whose Redis is gone (every call the gateway makes raises)."""

    async def is_active(self, thread: Any) -> bool:
        raise StoreUnavailable("is_active")

    async def set_pref(self, platform: str, user: str, name: str, value: str) -> None:
        raise StoreUnavailable("set_pref")


@dataclass
class Rig:
    app: App
    gateway: Gateway
    platform: FakePlatform
    queue: FakeQueue
    audit_path: Path

    def audit_lines(self) -> list[dict[str, Any]]:
        import json

        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines()]


HEALTH = (SetupCheck("redis", True, "redis://…"),
          SetupCheck("vision model", False, "not downloaded", "run the pull"))


async def fixed_health() -> tuple[SetupCheck, ...]:
    """The set-up checks an admin's home shows, fixed (``bot.health`` runs the real ones)."""
    return HEALTH


def make_rig(tmp_path: Path, *, state: MemoryStateStore | None = None, language: str = "en",
             max_inflight: int = 32, allow: Any = None, policy: str | None = None) -> Rig:
    """``policy``: a policy file's text (default: the shipped policy)."""
    extra: dict[str, Any] = {}
    if policy is not None:
        extra["policy_file"] = tmp_path / "policy.toml"
        extra["policy_file"].write_text(policy, encoding="utf-8")
    settings = load_settings(data_dir=tmp_path, audit_path=tmp_path / "audit.jsonl",
                             audit_secret=SECRET.decode(), language=language,
                             vlm_backend="ocr", **extra)
    audit = AuditLog(settings.audit_path, SECRET)
    services = Services(
        settings=settings, policy=load_policy(settings.policy_file),
        ingestor=None, screener=None, engine=None,  # type: ignore[arg-type]
        audit=audit, memory=MemoryThreadMemory(), state=state or MemoryStateStore(),
        quarantine=None, privacy_op=lambda _t: None,  # type: ignore[arg-type]
        clean_image=lambda *_a, **_k: b"", quality=lambda _i: [],
    )
    queue = FakeQueue()
    app = assemble(settings, services, queue=queue, health=fixed_health)  # type: ignore[arg-type]
    platform = FakePlatform()
    gateway = app.gateway(platform, max_inflight=max_inflight, allow=allow)
    return Rig(app, gateway, platform, queue, settings.audit_path)


def msg(ts: str = "100.1", *, thread: str | None = None, user: str = "U1", text: str = "hi",
        is_dm: bool = False, channel: str = "C1") -> IncomingMessage:
    return IncomingMessage(platform="slack", workspace="T1", channel=channel,
                           thread=thread or ts, message_id=ts, user=user, text=text,
                           event_id=f"T1:{channel}:{ts}", is_dm=is_dm)
