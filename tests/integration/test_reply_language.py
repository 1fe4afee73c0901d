"""The language of an answer follows the person (issue 22), on the one path with real Redis: an
explicit ask in the message, then the thread's language (its earlier turns), then the user's
``/miru lang`` setting, then the configured language, then the message's own language."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot import keys, strings
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ThreadKey
from tests.conftest import flush_redis, sync_redis_client

POLICY = '[defaults]\nconsent = "off"\n'
THREAD = ThreadKey("cli", "local", "cli", "t1")


@pytest.fixture
def rdb():
    flush_redis()
    client = sync_redis_client()
    yield client
    flush_redis()
    client.close()


@pytest.fixture
async def app(make_settings, counting_engine, rdb):
    application = build_app(make_settings(POLICY), engine=counting_engine)
    yield application
    await application.close()


async def _say(app, tmp_path: Path, text: str, image: bytes | None = None, *,
               user: str = "cli-user", thread: str = "t1"):
    paths = []
    if image is not None:
        path = tmp_path / f"img-{len(list(tmp_path.iterdir()))}.jpg"
        path.write_bytes(image)
        paths.append(path)
    msg = replace(cli_message(paths, text, thread=thread), user=user)
    return await app.pipeline.handle(LocalConversation(msg))


async def test_and_in_japanese_switches_the_thread_to_japanese(
        app, counting_engine, coffee_jpeg, tmp_path) -> None:
    """docs/slack.md's own example was answered in English."""
    await _say(app, tmp_path, "what is in this picture?", coffee_jpeg)
    asked = await _say(app, tmp_path, "and in Japanese?")
    after = await _say(app, tmp_path, "what colour is the cup?")
    assert [r.language for r in counting_engine.requests] == ["en", "ja", "ja"]
    assert asked.language == "ja" and after.language == "ja"


async def test_english_asked_for_in_japanese(app, counting_engine, coffee_jpeg,
                                             tmp_path) -> None:
    await _say(app, tmp_path, "これは何ですか？", coffee_jpeg)
    await _say(app, tmp_path, "英語で説明して")
    assert [r.language for r in counting_engine.requests] == ["ja", "en"]


async def test_a_photo_without_text_follows_the_thread(app, counting_engine, coffee_jpeg,
                                                       tmp_path) -> None:
    await _say(app, tmp_path, "このカップは何色？", coffee_jpeg)
    await _say(app, tmp_path, "", coffee_jpeg)
    assert [r.language for r in counting_engine.requests] == ["ja", "ja"]


async def test_the_thread_comes_before_the_users_setting(app, counting_engine, coffee_jpeg,
                                                         tmp_path) -> None:
    await app.state.set_pref("cli", "bob", "lang", "ja")
    await _say(app, tmp_path, "what is in this picture?", coffee_jpeg)
    await _say(app, tmp_path, "", coffee_jpeg, user="bob")  # bob prefers Japanese; no text
    await _say(app, tmp_path, "", coffee_jpeg, user="bob", thread="t2")  # a thread of his own
    assert [r.language for r in counting_engine.requests] == ["en", "en", "ja"]


async def test_each_person_is_answered_in_the_language_they_write(
        app, counting_engine, coffee_jpeg, tmp_path) -> None:
    """A mixed team in one thread: a Japanese question in an English thread is answered in
    Japanese, and a photo without text then follows the thread's latest language."""
    await _say(app, tmp_path, "what is in this picture?", coffee_jpeg)
    await _say(app, tmp_path, "このカップは何色？", user="bob")
    await _say(app, tmp_path, "", coffee_jpeg)
    assert [r.language for r in counting_engine.requests] == ["en", "ja", "ja"]


async def test_a_bare_image_does_not_decide_the_thread(app, counting_engine, coffee_jpeg,
                                                       tmp_path, rdb) -> None:
    await _say(app, tmp_path, "", coffee_jpeg)  # nothing says which language
    assert not rdb.exists(keys.thread_lang(THREAD))
    await _say(app, tmp_path, "これは何？")
    assert [r.language for r in counting_engine.requests] == ["en", "ja"]
    assert rdb.get(keys.thread_lang(THREAD)) == b"ja"


async def test_the_threads_language_is_forgotten_with_the_user(app, coffee_jpeg,
                                                               tmp_path, rdb) -> None:
    await _say(app, tmp_path, "これは何？", coffee_jpeg)
    assert rdb.exists(keys.thread_lang(THREAD))
    assert rdb.ttl(keys.thread_lang(THREAD)) > 6 * 24 * 3600  # as long as the turns
    await app.account.forget_user("cli", "cli-user")
    assert not rdb.exists(keys.thread_lang(THREAD))


async def test_a_photo_without_text_in_a_japanese_expense_thread_is_answered_in_japanese(
        app, coffee_jpeg, tmp_path) -> None:
    started = await _say(app, tmp_path, "経費")
    assert started.reply.text == strings.t("receipts.started", "ja")
    photo = await _say(app, tmp_path, "", coffee_jpeg)
    assert photo.language == "ja"
    name = photo.reply.text.split(" ")[0]
    said = {strings.t("receipts.unreadable", "ja", name=name, tips="").rstrip(),
            strings.t("receipts.not_receipt", "ja", name=name)}  # a coffee cup is neither
    assert any(photo.reply.text.startswith(s) for s in said), photo.reply.text
