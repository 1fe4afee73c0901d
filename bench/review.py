"""Review-queue bench: what opening a case and deciding it cost on a real Redis.

    MIRU_BENCH_REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/review.py [--cases 200]

Prints medians (ms) of: open_case (encrypt + store a 2000 px JPEG's evidence and the case, one
audit line), decide (the Lua decision + audit line), the blurred preview, and a race of 16
concurrent approvals per case (how many won: always 1). Deletes its keys afterwards. Prints
figures; never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def main(cases: int) -> None:
    from cryptography.fernet import Fernet
    from PIL import Image
    from redis.asyncio import Redis
    from skimage import data

    from bot.evidence.audit import AuditLog
    from bot.evidence.vault import RedisQuarantine
    from bot.models import IncomingMessage
    from bot.review.model import Decision
    from bot.review.service import Actor, Review, blurred_preview
    from bot.review.store import ReviewStore
    from safety.types import Action, Verdict

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((2000, 2000)).save(buf, "JPEG", quality=90)
    photo = buf.getvalue()
    redis = Redis.from_url(os.environ.get("MIRU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"))
    tmp = Path(tempfile.mkdtemp())
    review = Review(ReviewStore(redis), RedisQuarantine(redis, Fernet.generate_key()),
                    AuditLog(tmp / "audit.jsonl", b"bench-secret-0123456789abcdef-0123"))
    msg = IncomingMessage("slack", "T1", "C1", "1.0", "1.0", "U1", "look")
    verdict = Verdict(Action.HOLD, ("gate_error",))
    opened, decided, previews, winners = [], [], [], []
    ids = []
    for n in range(cases):
        t = time.perf_counter()
        case = await review.open_case(msg, f"bench:{n}", verdict, {0: photo})
        opened.append((time.perf_counter() - t) * 1000)
        ids.append(case.id)
        t = time.perf_counter()
        blurred_preview(photo)
        previews.append((time.perf_counter() - t) * 1000)
        results = await asyncio.gather(*[review.decide(case.id, Decision.APPROVE,
                                                       Actor("slack", f"U{k}"))
                                         for k in range(16)])
        winners.append(sum(r.outcome == "ok" for r in results))
    for case_id in ids[: cases // 2]:
        await review.store.forget(case_id)
    for case_id in ids[cases // 2:]:
        t = time.perf_counter()
        await review.decide(case_id, Decision.REJECT, Actor("slack", "U1"))
        decided.append((time.perf_counter() - t) * 1000)
    for case_id in ids:
        case = await review.store.get(case_id)
        for eid in case.evidence if case else (f"{case_id}.0",):
            await review.quarantine.delete(eid)
        await review.store.forget(case_id)
    await redis.aclose()
    print(f"{cases} cases, evidence {len(photo) // 1024} KiB each; load {os.getloadavg()[0]:.2f}")
    print(f"open_case  median {statistics.median(opened):7.2f} ms")
    print(f"decide     median {statistics.median(decided):7.2f} ms (stale: already decided)")
    print(f"preview    median {statistics.median(previews):7.2f} ms")
    print(f"16 concurrent approvals per case: winners per case {sorted(set(winners))}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=200)
    asyncio.run(main(p.parse_args().cases))
