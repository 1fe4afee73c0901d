"""A wired Miru on the fakes (``tests/fakes.py``) for the service tier: ``build_app`` with a
scripted screener, a fake OCR, a counting engine, a fake clock, the in-thread ingestor and a
recording platform; memory stores, or the real Redis where a branch needs state shared by
processes (review cases, quotas, ledgers, reply claims)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from bot.app import build_app
from bot.core.gateway import Gateway
from bot.core.outcome import Outcome
from bot.imaging.ingest import IngestLimits
from bot.models import ImageRef, IncomingMessage, Reply, ReplyKind, SetupCheck
from bot.runtime import App
from config.policy import load_policy
from config.settings import Settings
from tests.fakes import (
    CountingEngine,
    FakeClock,
    FakeDirectory,
    FakeOcr,
    FakePlatform,
    FakeScreener,
    InThreadIngestor,
    RecordingCards,
    jpeg,
)

PHOTO = jpeg()


async def no_health() -> tuple[SetupCheck, ...]:
    return ()


@dataclass
class Rig:
    """One app and its fakes. ``ask`` runs a message through the worker's pipeline on the fake
    platform; ``send`` hands it to the platform's gateway first (permission, quota, queue)."""

    app: App
    settings: Settings
    platform: FakePlatform
    screener: FakeScreener
    engine: CountingEngine
    ocr: FakeOcr
    clock: FakeClock
    cards: RecordingCards
    directory: FakeDirectory
    _n: Any = field(default_factory=lambda: itertools.count(1))
    _gateway: Gateway | None = None
    worked: list[IncomingMessage] = field(default_factory=list)

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = self.app.gateway(self.platform)
        return self._gateway

    def message(self, text: str = "what is it?", *, images: tuple[bytes, ...] = (PHOTO,),
                channel: str = "C1", thread: str | None = None, user: str = "UALICE",
                workspace: str = "T1", **extra: Any) -> IncomingMessage:
        n = next(self._n)
        ts = f"{1_700_000_000 + n}.000100"
        refs = []
        for k, data in enumerate(images):
            name = f"m{n}-{k}.jpg"
            self.platform.files[name] = data
            refs.append(ImageRef(name, url=f"https://files.test/{name}",
                                 mimetype="image/jpeg", size=len(data)))
        return IncomingMessage("slack", workspace, channel, thread or ts, ts, user, text,
                               tuple(refs), event_id=f"{workspace}:{channel}:{ts}", **extra)

    async def run(self, message: IncomingMessage) -> Outcome:
        return await self.app.pipeline.handle(self.platform.conversation(message))

    async def ask(self, text: str = "what is it?", **kw: Any) -> Outcome:
        return await self.run(self.message(text, **kw))

    async def send(self, message: IncomingMessage, **kw: Any) -> str | None:
        return await self.gateway.on_message(message, **kw)

    async def work(self) -> list[Outcome]:
        """The worker's side, once: every queued job of the fake platform run to its end
        (``App.run_job``: the pipeline, then the request's quota slot freed) and acknowledged."""
        assert self.app.queue is not None, "a queue needs the Redis rig"
        queue = self.app.queue.serving(["slack"])
        await queue.ensure_group()
        jobs = await queue.take(block_ms=1, count=50, claim=False)
        before = len(self.platform.replies)
        for job in jobs:
            await self.app.run_job({"slack": self.platform}, job.message)
            await queue.ack(job)
        self.worked = [job.message for job in jobs]
        return [self.platform.replies[before:]]  # type: ignore[list-item]

    def audit(self, kind: str | None = None) -> list[dict[str, Any]]:
        path = self.settings.audit_path
        lines = ([json.loads(x) for x in path.read_text().splitlines()] if path.exists()
                 else [])
        return [x for x in lines if kind is None or x["kind"] == kind]

    def kinds(self) -> list[str]:
        return [x["kind"] for x in self.audit()]

    def last(self) -> Reply:
        assert self.platform.replies, "nothing was posted"
        return self.platform.replies[-1]

    def kinds_posted(self) -> list[ReplyKind]:
        return [r.kind for r in self.platform.replies]

    async def close(self) -> None:
        await self.app.close()


def build_rig(settings: Settings, *, redis: bool = False, engine: CountingEngine | None = None,
              ocr: FakeOcr | None = None, **ports: Any) -> Rig:
    """``build_app`` on the fakes; ``redis`` False keeps everything in this process."""
    screener = FakeScreener(load_policy(settings.policy_file), timeout_s=settings.gate_timeout_s)
    engine = engine or CountingEngine()
    ocr = ocr or FakeOcr("")
    clock = ports.pop("clock", FakeClock())
    cards = RecordingCards()
    directory = FakeDirectory()
    app = build_app(settings, memory_only=not redis, engine=engine, screener=screener, ocr=ocr,
                    clock=clock, ingestor=InThreadIngestor(IngestLimits.from_settings(settings)),
                    review_cards=cards, directories={"slack": directory}, health=no_health,
                    **ports)
    platform = FakePlatform()
    app.adapters.add(platform)
    return Rig(app, settings, platform, screener, engine, ocr, clock, cards, directory)
