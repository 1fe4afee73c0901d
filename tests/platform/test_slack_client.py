"""SlackConversation against the Web API stand-in: file fetching and its faults, reactions,
throttled in-place edits, consent buttons, uploads and 429 handling."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image as PILImage

from bot.errors import FetchError, FetchForbidden, MissingScope, TooLarge, UnsupportedFormat
from bot.models import Attachment, ImageRef, IncomingMessage, Reply, ReplyKind, Status
from handlers.slack_blocks import CONSENT_CANCEL_ACTION, CONSENT_CONFIRM_ACTION
from handlers.slack_client import SlackPlatform, is_allowed_file_url, make_web_client
from tests.fakes import FakeClock
from tests.platform.conftest import make_settings
from tests.platform.slack_standin import SlackStandIn


def png_bytes() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (32, 24), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def message(**extra) -> IncomingMessage:
    values = dict(platform="slack", workspace="T0MIRU", channel="C1", thread="100.1",
                  message_id="100.1", user="U1", text="hi", event_id="T0MIRU:C1:100.1")
    values.update(extra)
    return IncomingMessage(**values)


@pytest.fixture
def platform_and_clock(standin: SlackStandIn, tmp_path: Path):
    settings = make_settings(standin, tmp_path)
    clock = FakeClock()
    platform = SlackPlatform(make_web_client(settings), settings,
                             http=httpx.AsyncClient(timeout=0.5), clock=clock.monotonic)
    yield platform, clock


@pytest.fixture
async def conversation(platform_and_clock):
    platform, _ = platform_and_clock
    yield platform.conversation(message())
    await platform.close()


def ref_for(file: dict, **extra) -> ImageRef:
    values = dict(name=file["name"], url=file["url_private_download"], mimetype=file["mimetype"],
                  size=file["size"], file_id=file["id"])
    values.update(extra)
    return ImageRef(**values)


async def test_fetch_downloads_with_the_bot_token(standin: SlackStandIn, conversation) -> None:
    data = png_bytes()
    f = standin.add_file("F1", "red.png", data, "image/png")
    assert await conversation.fetch(ref_for(f), 1_000_000) == data
    (call,) = standin.calls_to("file")
    assert call.auth == f"Bearer {standin.token}"


def test_only_slack_file_hosts_or_the_api_host_are_allowed(slack_settings) -> None:
    api = slack_settings.slack_api_url
    assert is_allowed_file_url("https://files.slack.com/files-pri/T-F/x.png", slack_settings)
    assert is_allowed_file_url(api.replace("/api/", "/files-pri/F/x.png"), slack_settings)
    assert not is_allowed_file_url("http://files.slack.com/files-pri/T-F/x.png", slack_settings)
    assert not is_allowed_file_url("https://evil.example/x.png", slack_settings)
    assert not is_allowed_file_url("http://127.0.0.1:1/x.png", slack_settings)


async def test_fetch_refuses_other_hosts_without_a_request(standin, conversation) -> None:
    ref = ImageRef(name="x.png", url="https://evil.example/x.png", mimetype="image/png")
    with pytest.raises(FetchForbidden):
        await conversation.fetch(ref, 1_000_000)
    assert standin.calls == []


async def test_html_instead_of_the_file_means_the_scope_is_missing(standin, conversation) -> None:
    f = standin.add_file("F2", "a.png", b"<html>sign in</html>", "image/png",
                         content_type="text/html")
    with pytest.raises(MissingScope):
        await conversation.fetch(ref_for(f), 1_000_000)


async def test_404_and_timeout_are_fetch_errors(standin, conversation) -> None:
    gone = standin.add_file("F3", "gone.png", b"", "image/png", status=404)
    slow = standin.add_file("F4", "slow.png", png_bytes(), "image/png", delay_s=2.0)
    with pytest.raises(FetchError) as missing:
        await conversation.fetch(ref_for(gone), 1_000_000)
    assert missing.value.params["name"] == "gone.png"
    with pytest.raises(FetchError):
        await conversation.fetch(ref_for(slow), 1_000_000)


async def test_size_limit_from_metadata_and_while_downloading(standin, conversation) -> None:
    data = png_bytes()
    f = standin.add_file("F5", "big.png", data, "image/png")
    with pytest.raises(TooLarge):
        await conversation.fetch(ref_for(f), len(data) - 1)
    assert standin.calls_to("file") == []  # refused on the declared size, nothing downloaded
    with pytest.raises(TooLarge):
        await conversation.fetch(ref_for(f, size=None), len(data) - 1)


async def test_non_image_files_are_refused_before_download(standin, conversation) -> None:
    f = standin.add_file("F6", "notes.pdf", b"%PDF-1.4", "application/pdf")
    with pytest.raises(UnsupportedFormat) as exc:
        await conversation.fetch(ref_for(f), 1_000_000)
    assert exc.value.params["name"] == "notes.pdf"
    assert standin.calls_to("file") == []


async def test_status_adds_the_matching_reaction(standin, conversation) -> None:
    for status in Status:
        await conversation.status(status)
    names = [c.params["name"] for c in standin.calls_to("reactions.add")]
    assert names == ["eyes", "white_check_mark", "no_entry", "shield", "warning"]
    assert {c.params["timestamp"] for c in standin.calls_to("reactions.add")} == {"100.1"}


async def test_partial_edits_at_most_once_a_second_and_reply_replaces_it(
        standin, platform_and_clock) -> None:
    platform, clock = platform_and_clock
    conv = platform.conversation(message())
    for text in ("A", "A b", "A b c"):
        await conv.partial(text)
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert standin.calls_to("chat.update") == []
    clock.advance(1.01)
    await conv.partial("A b c d")
    await conv.partial("A b c d e")
    assert [c.params["text"] for c in standin.calls_to("chat.update")] == ["A b c d"]
    await conv.reply(Reply(ReplyKind.ANSWER, "Final.", message().thread_key, "r1"))
    assert standin.calls_to("chat.update")[-1].params["text"] == "Final."
    assert len(standin.calls_to("chat.postMessage")) == 1
    await platform.close()


async def test_text_from_images_cannot_mention_or_link(standin, conversation) -> None:
    """An answer quoting a sign that says "<!channel>" must not ping the whole channel."""
    text = "The sign says: <!channel> & <@U999> <https://evil.example|click>"
    await conversation.reply(Reply(ReplyKind.ANSWER, text, message().thread_key, "r-esc"))
    (call,) = standin.calls_to("chat.postMessage")
    posted = call.params["text"]
    assert "<" not in posted and ">" not in posted
    assert posted == ("The sign says: &lt;!channel&gt; &amp; &lt;@U999&gt; "
                      "&lt;https://evil.example|click&gt;")


async def test_consent_prompt_is_ephemeral_with_two_buttons(standin, conversation) -> None:
    reply = Reply(ReplyKind.CONSENT, "Did everyone agree?", message().thread_key, "req-9",
                  ephemeral_to="U1")
    await conversation.reply(reply)
    assert standin.calls_to("chat.postMessage") == []
    (call,) = standin.calls_to("chat.postEphemeral")
    assert (call.params["user"], call.params["thread_ts"]) == ("U1", "100.1")
    buttons = call.params["blocks"][1]["elements"]
    assert [b["action_id"] for b in buttons] == [CONSENT_CONFIRM_ACTION, CONSENT_CANCEL_ACTION]
    assert {b["value"] for b in buttons} == {"req-9"}
    assert [b["text"]["text"] for b in buttons] == ["Everyone shown agreed", "Cancel"]


async def test_attachments_are_uploaded_in_the_thread(standin, conversation) -> None:
    data = png_bytes()
    reply = Reply(ReplyKind.ANSWER, "Cleaned.", message().thread_key, "r2",
                  attachments=(Attachment("clean.png", data, "image/png"),))
    await conversation.reply(reply)
    (done,) = standin.calls_to("files.completeUploadExternal")
    assert (done.params["channel_id"], done.params["thread_ts"]) == ("C1", "100.1")
    assert list(standin.uploads.values()) == [data]


async def test_rate_limited_post_waits_and_retries(standin, conversation) -> None:
    standin.fail_next("chat.postMessage", status=429, retry_after=1, times=1)
    await conversation.reply(Reply(ReplyKind.ANSWER, "Answer.", message().thread_key, "r3"))
    posts = standin.calls_to("chat.postMessage")
    assert len(posts) == 2 and posts[-1].params["text"] == "Answer."
    assert posts[1].at - posts[0].at >= 1.0  # honoured Retry-After rather than hammering


def connect_ref(file_id: str) -> ImageRef:
    """What translate_event makes of a Slack Connect stub: only the id."""
    return ImageRef(name=file_id, url="", file_id=file_id)


async def test_file_from_another_organisation_is_fetched_through_files_info(
        standin, conversation) -> None:
    data = png_bytes()
    standin.add_file("FEXT1", "shared.png", data, "image/png")
    assert await conversation.fetch(connect_ref("FEXT1"), 1_000_000) == data
    (info,) = standin.calls_to("files.info")
    assert info.params["file"] == "FEXT1" and info.auth == f"Bearer {standin.token}"
    assert len(standin.calls_to("file")) == 1


async def test_files_info_answers_are_checked_like_event_files(standin, conversation) -> None:
    standin.add_file("FEXT2", "report.pdf", b"%PDF-1.4", "application/pdf")
    with pytest.raises(UnsupportedFormat) as pdf:
        await conversation.fetch(connect_ref("FEXT2"), 1_000_000)
    assert pdf.value.params["name"] == "report.pdf"  # the name files.info gave
    standin.add_file("FEXT3", "big.png", png_bytes(), "image/png")
    with pytest.raises(TooLarge):
        await conversation.fetch(connect_ref("FEXT3"), 10)
    with pytest.raises(FetchError) as missing:
        await conversation.fetch(connect_ref("FNOPE"), 1_000_000)
    assert "file_not_found" in missing.value.detail
    assert standin.calls_to("file") == []


async def test_files_info_url_must_still_be_on_an_allowed_host(standin, conversation) -> None:
    standin.add_file("FEXT4", "x.png", png_bytes(), "image/png")
    standin._file_info["FEXT4"]["url_private_download"] = "https://evil.example/x.png"
    with pytest.raises(FetchForbidden):
        await conversation.fetch(connect_ref("FEXT4"), 1_000_000)
    assert standin.calls_to("file") == []


async def test_the_eyes_go_when_a_final_status_comes(standin, conversation) -> None:
    """Issue 22: 👀 stayed on the message next to ✅."""
    msg = conversation.message
    await conversation.status(Status.RECEIVED)
    assert standin.reactions_now(msg.channel, msg.message_id) == ["eyes"]
    await conversation.status(Status.ANSWERED)
    assert standin.reactions_now(msg.channel, msg.message_id) == ["white_check_mark"]
    await conversation.status(Status.FAILED)  # no 👀 left to take: Slack's no_reaction is fine
    assert standin.reactions_now(msg.channel, msg.message_id) == ["white_check_mark", "warning"]
