"""bot.core.chunking.split_text: parts within the limit, cut at the right places, nothing lost."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.chunking import FENCE, MIN_LIMIT, split_text

ENTITY = re.compile(r"&(amp|lt|gt);")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_short_text_comes_back_whole() -> None:
    assert split_text("Hello.\n\nBye.", 100) == ["Hello.\n\nBye."]
    assert split_text("", 100) == [""]


def test_limit_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        split_text("x" * 500, MIN_LIMIT - 1)


def test_paragraphs_before_lines_before_sentences() -> None:
    para = "First sentence here. Second one here.\nA new line here."
    text = "\n\n".join([para] * 6)
    parts = split_text(text, len(para) * 2 + 10)
    assert parts == ["\n\n".join([para] * 2)] * 3
    lines = "\n".join(["A line of text that is fairly long."] * 10)
    assert all(p.endswith("long.") for p in split_text(lines, 100))


def test_sentences_then_words_then_hard_cut() -> None:
    sentences = "This is one sentence. " * 20
    assert all(p.endswith("sentence.") for p in split_text(sentences, 100))
    words = "word " * 100
    assert all(p.endswith("word") for p in split_text(words, 100))
    solid = "x" * 250
    assert split_text(solid, 100) == ["x" * 96, "x" * 96, "x" * 58]


def test_japanese_without_spaces_splits_after_the_full_stop() -> None:
    text = "これは日本語の文です。" * 30
    parts = split_text(text, 100)
    assert len(parts) > 1 and all(len(p) <= 100 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_hard_cut_never_splits_an_entity() -> None:
    text = "a" * 93 + "&amp;" + "b" * 200
    first, *rest = split_text(text, 100)
    assert first == "a" * 93
    assert rest[0].startswith("&amp;")


def test_code_fence_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"print({i})  # line {i}" for i in range(40))
    text = f"Here is the code:\n\n```python\n{code}\n```\nThat was it."
    parts = split_text(text, 200)
    assert len(parts) > 2
    for part in parts:
        fences = [ln for ln in part.split("\n") if ln.strip().startswith(FENCE)]
        assert len(fences) % 2 == 0, part  # every part renders its code as code
    assert all(p.startswith("```python\n") for p in parts[1:-1])
    assert parts[-1].endswith("That was it.")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab &<>.。\n`xy日本")), max_size=2000),
    st.integers(min_value=MIN_LIMIT, max_value=400),
)
def test_parts_fit_keep_entities_and_lose_nothing(raw: str, limit: int) -> None:
    text = escape(raw)
    parts = split_text(text, limit)
    assert all(len(p) <= limit for p in parts)
    for part in parts:
        for i in [m.start() for m in re.finditer("&", part)]:
            assert ENTITY.match(part, i), part
    if FENCE not in text:
        assert squeeze("".join(parts)) == squeeze(text)
        assert all(p.strip() for p in parts) or parts == [text]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["```py", "```", "some code = 1", "A sentence. Another one.", ""]),
             max_size=120),
    st.integers(min_value=MIN_LIMIT, max_value=300),
)
def test_balanced_fences_stay_balanced_in_every_part(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    if sum(ln.startswith(FENCE) for ln in lines) % 2:
        text += "\n" + FENCE
    for part in split_text(text, limit):
        assert len(part) <= limit
        fences = [ln for ln in part.split("\n") if ln.strip().startswith(FENCE)]
        assert len(fences) % 2 == 0, part
