"""Language detection: Japanese script, English, mixed text, markup, and the default."""

from __future__ import annotations

import pytest

from bot.core.lang import asked_language, detect_language


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


@pytest.mark.parametrize(("text", "asked"), [
    ("and in Japanese?", "ja"),  # docs/slack.md's own example
    ("Can you say that in japanese", "ja"),
    ("translate it into English", "en"),
    ("Japanese please", "ja"),
    ("日本語で", "ja"),
    ("日本語でお願いします", "ja"),
    ("英語で", "en"),
    ("この看板を英語に訳して", "en"),
    ("和訳して", "ja"),
    ("英訳は？", "en"),
    ("<@U123ABC> in English, please", "en"),
    ("not in English, in Japanese", "ja"),
    ("日本語？", "ja"),
])
def test_an_explicit_ask_for_a_language(text, asked):
    assert asked_language(text) == asked


@pytest.mark.parametrize("text", [
    "what is in this picture?",
    "is this sign Japanese?",
    "この文字は日本語ですか",
    "What does the English text say?",
    "",
])
def test_no_ask_for_a_language(text):
    assert asked_language(text) is None
