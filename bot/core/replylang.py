"""The language of what an adapter renders itself (button labels beside a reply)."""

from __future__ import annotations

from bot import strings


def guess_language(text: str) -> str:
    """"ja" when the text has kana or kanji, else "en" (cheap: no language model)."""
    japanese = any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)
    return "ja" if japanese else "en"


def reply_language(explicit: str | None, text: str) -> str:
    """The message's explicit language when it has one, else the reply text's script: labels
    such as consent buttons then read like the sentence they stand under."""
    return explicit if explicit in strings.LANGS else guess_language(text)
