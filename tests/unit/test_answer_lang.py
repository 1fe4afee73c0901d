"""The order in which an answer's language is chosen (``bot.core.answer_lang``, issue 22)."""

from __future__ import annotations

import pytest

from bot.core.answer_lang import Choice, choose, decode


def pick(text: str = "", *, explicit: str | None = None, recorded: str | None = None,
         setting: str | None = None, configured: str = "auto") -> Choice:
    return choose(text, explicit=explicit, recorded=recorded, setting=setting,
                  configured=configured)


@pytest.mark.parametrize(("kw", "lang", "source"), [
    ({"text": "and in Japanese?", "recorded": "en"}, "ja", "asked"),  # docs/slack.md's example
    ({"text": "英語で", "recorded": "asked:ja"}, "en", "asked"),
    ({"text": "これは何？", "explicit": "en"}, "en", "asked"),  # --lang / the API's lang
    ({"text": "what colour is it?", "recorded": "asked:ja"}, "ja", "thread_asked"),
    ({"text": "このカップは何色？", "recorded": "en", "setting": "en"}, "ja", "text"),
    ({"text": "", "recorded": "ja", "setting": "en"}, "ja", "thread"),
    ({"text": "#3?", "recorded": "ja"}, "ja", "thread"),
    ({"text": "", "setting": "ja"}, "ja", "setting"),
    ({"text": "これは何？", "configured": "en"}, "en", "configured"),  # the operator fixed it
    ({"text": "", "configured": "ja"}, "ja", "configured"),
    ({"text": "ok"}, "en", "default"),
])
def test_the_order(kw, lang: str, source: str) -> None:
    assert pick(**kw) == Choice(lang, source)


def test_what_the_thread_records() -> None:
    assert pick("and in Japanese?").recorded == "asked:ja"
    assert pick("what colour?", recorded="asked:ja").recorded == "asked:ja"
    assert pick("これは？").recorded == "ja"
    assert pick("").recorded is None  # the bare default decides nothing for the thread
    assert decode("asked:en") == ("en", True) and decode("ja") == ("ja", False)
    assert decode("fr") == (None, False) and decode(None) == (None, False)
