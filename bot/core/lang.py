"""Which language to answer in: "ja" or "en", read offline from the user's text.

``asked_language``: an explicit ask in the message, in either language ("and in Japanese?",
"日本語で", "英語に訳して", "answer in English"). ``detect_language``: the language the text is
written in. Text in Japanese script only (kana, kanji) is Japanese without asking a model. Text
with Latin letters goes to lingua, which also handles mixed text ("この sign は何?" is Japanese,
"What does 見る mean?" is English). Too little text, or a language Miru does not answer in,
gives ``default``.
"""

from __future__ import annotations

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_MARKUP = re.compile(
    r"<[@#!][^>]*>"  # Slack mentions and channel links
    r"|<https?://[^>]*>|https?://\S+"  # links
    r"|<a?:\w+:\d+>|:[a-z0-9_+\-]+:"  # Discord custom emoji, :shortcodes:
    r"|```.*?```|`[^`]*`",  # code
    re.DOTALL,
)
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
MIN_LATIN_LETTERS = 3

# Languages lingua weighs against each other; only English and Japanese are answered in.
_CANDIDATES = (
    Language.ENGLISH, Language.JAPANESE, Language.CHINESE, Language.KOREAN, Language.FRENCH,
    Language.GERMAN, Language.SPANISH, Language.PORTUGUESE, Language.ITALIAN, Language.DUTCH,
)
_ANSWERED = {Language.ENGLISH: "en", Language.JAPANESE: "ja"}

# An explicit ask for a language: "in/into/to Japanese", "Japanese please", "日本語で/に",
# "和訳", "英語で/に", "英訳". A bare mention of a language ("is this Japanese?") asks nothing.
_ASKED = re.compile(
    r"\b(?:in|into|to)\s+(?P<en1>japanese|english)\b"
    r"|\b(?P<en2>japanese|english)\s+(?:please|pls)\b"
    r"|(?P<ja1>日本語|英語)(?:で(?!す|は|書)|に(?:して|訳|直|翻訳|変え)|訳|へ|[?？]|$)"
    r"|(?P<ja2>和訳|英訳)",
    re.IGNORECASE)
_NAMED = {"japanese": "ja", "english": "en", "日本語": "ja", "和訳": "ja", "英語": "en",
          "英訳": "en"}


@cache
def _detector() -> LanguageDetector:
    """One read-only detector per process (its language models load lazily on first use)."""
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).build()


def detect_language(text: str, default: str = "en") -> str:
    """The answer language for ``text``, "ja" or "en"; ``default`` when the text does not say."""
    cleaned = _MARKUP.sub(" ", text or "")
    japanese = len(_JAPANESE.findall(cleaned))
    latin = len(_LATIN.findall(cleaned))
    if japanese and not latin:
        return "ja"
    if latin < MIN_LATIN_LETTERS and not japanese:
        return default
    found = _detector().detect_language_of(cleaned)
    if found == Language.CHINESE and _KANA.search(cleaned) is None and japanese:
        return "ja"  # kanji with Latin text: Miru answers in Japanese, not Chinese
    return _ANSWERED.get(found, default) if found is not None else default


def asked_language(text: str) -> str | None:
    """The language the message explicitly asks for ("ja" or "en"), or None. With several
    asks the last one counts ("not in English, in Japanese")."""
    cleaned = _MARKUP.sub(" ", text or "")
    asked = None
    for match in _ASKED.finditer(cleaned):
        word = next(v for v in match.groupdict().values() if v)
        asked = _NAMED[word.lower()]
    return asked
