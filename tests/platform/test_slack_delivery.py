"""SlackConversation.reply against the stand-in: long answers go out in parts, and what Slack
refuses becomes DeliveryFailed, retryable or not."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.errors import DeliveryFailed
from bot.models import IncomingMessage, Reply, ReplyKind
from handlers.slack_client import PART_CHARS, SlackPlatform, make_web_client
from tests.platform.conftest import make_settings
from tests.platform.slack_standin import SlackStandIn

THREAD = "100.1"


def message() -> IncomingMessage:
    return IncomingMessage(platform="slack", workspace="T0MIRU", channel="C1", thread=THREAD,
                           message_id=THREAD, user="U1", text="hi", event_id="T0MIRU:C1:100.1")


def answer(text: str, request_id: str = "r1") -> Reply:
    return Reply(ReplyKind.ANSWER, text, message().thread_key, request_id)


def long_text(paragraphs: int = 120) -> str:
    """About 46,000 characters: more than Slack takes in one message."""
    filler = ("The menu lists fish & chips, <b>soup</b> and salad. " * 7).strip()
    return "\n\n".join(f"Paragraph {i}: {filler}" for i in range(paragraphs))


@pytest.fixture
async def platform(standin: SlackStandIn, tmp_path: Path):
    settings = make_settings(standin, tmp_path)
    platform = SlackPlatform(make_web_client(settings), settings, http=httpx.AsyncClient())
    yield platform
    await platform.close()


def posted(standin: SlackStandIn) -> list[str]:
    return standin.thread_messages("C1", THREAD)


async def test_answer_longer_than_slack_takes_arrives_in_parts_in_order(
        standin, platform) -> None:
    text = long_text()
    assert len(text) > 40_000
    await platform.conversation(message()).reply(answer(text))
    parts = posted(standin)
    assert len(parts) >= len(text) // PART_CHARS
    assert all(len(p) <= PART_CHARS for p in parts)
    assert all(c.params["thread_ts"] == THREAD for c in standin.calls_to("chat.postMessage"))
    numbers = [int(n) for p in parts for n in re.findall(r"Paragraph (\d+):", p)]
    assert numbers == list(range(120))
    for part in parts:  # escapes are whole in every part
        assert "<" not in part and all(part.startswith(("&amp;", "&lt;", "&gt;"), i)
                                       for i in [m.start() for m in re.finditer("&", part)])


async def test_first_part_replaces_the_working_message(standin, platform) -> None:
    conv = platform.conversation(message())
    await conv.partial(long_text())
    (working,) = standin.calls_to("chat.postMessage")
    assert len(working.params["text"]) <= PART_CHARS  # the preview is the first part too
    await conv.reply(answer(long_text()))
    (update,) = standin.calls_to("chat.update")
    assert update.params["ts"] == working.params.get("ts", update.params["ts"])
    parts = posted(standin)
    assert parts[0] == update.params["text"] and parts[0].startswith("Paragraph 0:")
    assert len(standin.calls_to("chat.postMessage")) == len(parts)


async def test_deleted_working_message_is_replaced_by_a_new_post(standin, platform) -> None:
    conv = platform.conversation(message())
    await conv.partial("Looking…")
    standin.fail_with("chat.update", "message_not_found")
    await conv.reply(answer("Final."))
    assert posted(standin)[-1] == "Final."


@pytest.mark.parametrize("error", [
    "msg_too_long", "channel_not_found", "not_in_channel", "is_archived", "missing_scope",
    "invalid_auth",
])
async def test_refusals_are_not_retryable(standin, platform, error: str) -> None:
    standin.fail_with("chat.postMessage", error)
    with pytest.raises(DeliveryFailed) as failed:
        await platform.conversation(message()).reply(answer("Answer."))
    assert failed.value.detail == error and failed.value.retryable is False


async def test_rate_limits_and_server_errors_are_retryable(standin, platform) -> None:
    standin.fail_with("chat.postMessage", "ratelimited")
    with pytest.raises(DeliveryFailed) as limited:
        await platform.conversation(message()).reply(answer("Answer."))
    assert limited.value.retryable is True
    standin.fail_next("chat.postMessage", status=500, retry_after=None, times=2)
    with pytest.raises(DeliveryFailed) as server:
        await platform.conversation(message()).reply(answer("Answer."))
    assert server.value.retryable is True
    assert len(standin.calls_to("chat.postMessage")) == 3  # slack_sdk tried the 500 once more


async def test_unreachable_slack_is_retryable(standin, tmp_path) -> None:
    settings = make_settings(standin, tmp_path, slack_api_url="http://127.0.0.1:1/api/")
    platform = SlackPlatform(make_web_client(settings), settings)
    with pytest.raises(DeliveryFailed) as failed:
        await platform.conversation(message()).reply(answer("Answer."))
    assert failed.value.retryable is True
    await platform.close()


async def test_a_second_try_posts_only_the_missing_parts(standin, platform) -> None:
    conv = platform.conversation(message())
    reply = answer(long_text(20))
    standin.fail_with("chat.postMessage", "ratelimited", skip=1)
    with pytest.raises(DeliveryFailed):
        await conv.reply(reply)
    assert len(posted(standin)) == 1
    await conv.reply(reply)
    parts = posted(standin)
    numbers = [int(n) for p in parts for n in re.findall(r"Paragraph (\d+):", p)]
    assert numbers == list(range(20))  # nothing twice, nothing missing


async def test_the_error_notice_after_a_failed_part_is_still_posted(standin, platform) -> None:
    """bot.core.delivery tells the user with an ERROR reply carrying the same request id."""
    conv = platform.conversation(message())
    standin.fail_with("chat.postMessage", "is_archived", skip=2)
    with pytest.raises(DeliveryFailed):
        await conv.reply(answer(long_text(20)))
    await conv.reply(Reply(ReplyKind.ERROR, "Could not post.", message().thread_key, "r1"))
    assert posted(standin)[-1] == "Could not post."
