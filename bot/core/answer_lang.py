"""Which language an answer is in: it follows the person (issue 22). Pure: the message, what
the thread recorded, the user's setting and the configured language in; a choice out.

1. an explicit ask in this message ("and in Japanese?", "日本語で", "英語に訳して"), or the
   command line's / API's ``lang``;
2. an explicit ask earlier in the thread (it holds until another ask);
3. the language the message is written in, when it says (Japanese script, or enough Latin
   text); skipped where the operator fixed a language (``MIRU_LANGUAGE=ja|en``);
4. the thread's language: what its earlier turns were answered in (a photo without text in a
   Japanese expense thread gets a Japanese card);
5. the user's ``/miru lang`` setting;
6. the configured language;
7. English.

The thread records its language as ``"ja"``/``"en"``, or ``"asked:ja"`` after an explicit ask
(``encode``/``decode``); nothing is recorded when only the bare default decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot import strings
from bot.core.lang import asked_language, detect_language

Source = Literal["asked", "thread_asked", "text", "thread", "setting", "configured", "default"]
ASKED = "asked:"


@dataclass(frozen=True)
class Choice:
    lang: str
    source: Source

    @property
    def recorded(self) -> str | None:
        """What the thread keeps for later turns (None: keep nothing)."""
        if self.source == "default":
            return None
        asked = self.source in ("asked", "thread_asked")
        return f"{ASKED}{self.lang}" if asked else self.lang


def decode(recorded: str | None) -> tuple[str | None, bool]:
    """The thread's language and whether someone asked for it."""
    if not recorded:
        return None, False
    asked = recorded.startswith(ASKED)
    lang = recorded.removeprefix(ASKED)
    return (lang, asked) if lang in strings.LANGS else (None, False)


def choose(text: str, *, explicit: str | None, recorded: str | None, setting: str | None,
           configured: str) -> Choice:
    """The order in the module docstring."""
    if explicit in strings.LANGS:
        return Choice(explicit, "asked")
    asked = asked_language(text)
    if asked is not None:
        return Choice(asked, "asked")
    thread_lang, thread_asked = decode(recorded)
    if thread_lang is not None and thread_asked:
        return Choice(thread_lang, "thread_asked")
    if configured not in strings.LANGS:
        written = detect_language(text, default="")
        if written:
            return Choice(written, "text")
    if thread_lang is not None:
        return Choice(thread_lang, "thread")
    if setting in strings.LANGS:
        return Choice(setting, "setting")
    if configured in strings.LANGS:
        return Choice(configured, "configured")
    return Choice("en", "default")
