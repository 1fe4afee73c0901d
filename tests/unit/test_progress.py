"""Throttled "working…" edits (bot/core/progress.py) on a clock the test moves."""

from __future__ import annotations

from bot.core.progress import ThrottledEdits
from bot.core.replylang import reply_language
from tests.fakes import FakeClock


def recorder(clock: FakeClock, *, fail: bool = False):
    calls: list[tuple[str, ...]] = []

    async def post(text: str) -> str:
        if fail:
            raise ConnectionError("down")
        calls.append(("post", text))
        return "m1"

    async def edit(message_id: str, text: str) -> None:
        calls.append(("edit", message_id, text))

    return ThrottledEdits(post, edit, clock=clock.monotonic), calls


async def test_posts_once_then_edits_at_most_once_a_second() -> None:
    clock = FakeClock(m=50.0)
    edits, calls = recorder(clock)
    assert await edits.update("A")
    assert not await edits.update("A b")  # within the second
    clock.advance(0.99)
    assert not await edits.update("A b c")
    clock.advance(0.02)
    assert await edits.update("A b c d")
    assert not await edits.update("A b c d e")
    assert not await edits.update("")
    assert calls == [("post", "A"), ("edit", "m1", "A b c d")]
    assert edits.message_id == "m1"


async def test_a_failed_post_never_raises_and_is_tried_again() -> None:
    clock = FakeClock(m=50.0)
    edits, calls = recorder(clock, fail=True)
    assert not await edits.update("A")
    assert edits.message_id is None and calls == []


def test_reply_language_prefers_the_explicit_one() -> None:
    assert reply_language("ja", "Hello") == "ja"
    assert reply_language(None, "この看板は") == "ja"
    assert reply_language(None, "Did everyone agree?") == "en"
    assert reply_language("fr", "Hello") == "en"
