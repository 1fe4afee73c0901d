"""Language detection: Japanese script, English, mixed text, markup, and the default."""

from __future__ import annotations

import pytest

from bot.core.lang import detect_language


@pytest.mark.parametrize("text", [
    "この画像の文字を読んで",
    "東京駅",
    "このレシートの合計はいくら？",
    "<@U123ABC> この sign は何?",
    "Slackのmessageをsummarizeして",
    "ｶﾀｶﾅ だけ",
])
def test_japanese(text):
    assert detect_language(text) == "ja"


@pytest.mark.parametrize("text", [
    "What does this sign say?",
    "What does 見る mean?",
    "<@U123ABC> which allergens are on this menu? https://example.com/ランチ",
    "summarise this slide in 100 characters :smile:",
])
def test_english(text):
    assert detect_language(text, default="ja") == "en"


@pytest.mark.parametrize("text", ["", "   ", "??", "ok", "<@U123ABC>", "`x = 1`", "123 456"])
def test_too_little_text_gives_the_default(text):
    assert detect_language(text, default="ja") == "ja"
    assert detect_language(text, default="en") == "en"


def test_a_language_miru_does_not_answer_in_gives_the_default():
    text = "Bonjour, que dit ce panneau devant la gare ?"
    assert detect_language(text, default="ja") == "ja"
    assert detect_language(text, default="en") == "en"
